// The session page's player: the session's JPEGs shown at their recorded timing, from the time
// in ?t=US (a search hit) or the first frame. The frame list
// comes from /api/sessions/ID/frames (number and time of each); a live session's new frames are
// asked for every second. The player element's data-number, data-offset-us and data-playing say
// what it shows (tests read them).
"use strict";

const speeds = [0.25, 0.5, 1, 2, 4, 8, 16];
const params = new URLSearchParams(location.search);
const sessionId = Number(params.get("id"));
const el = (id) => document.getElementById(id);
const player = el("player"), image = el("frame");

let frames = [];      // {number, offset_us}, by time
let position = 0;     // playback time, microseconds from the first frame
let index = -1;       // the frame shown
let playing = false;
let speedIndex = 2;
let playStart = null; // {wall, position} when playback (re)started
let live = false;
const preload = new Image();

function end() { return frames.length ? frames[frames.length - 1].offset_us : 0; }

// The frame on screen at time t: the last one captured at or before it.
function frameAt(t) {
  let lo = 0, hi = frames.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (frames[mid].offset_us <= t) lo = mid; else hi = mid - 1;
  }
  return lo;
}

function frameUrl(f) { return "/api/frames/" + sessionId + "/" + f.number + ".jpg"; }

function render() {
  if (!frames.length) return;
  const i = frameAt(position);
  if (i !== index) {
    index = i;
    image.src = frameUrl(frames[i]);
    if (i + 1 < frames.length) preload.src = frameUrl(frames[i + 1]);
  }
  player.dataset.number = frames[index].number;
  player.dataset.offsetUs = Math.round(position);
  player.dataset.playing = playing;
  el("number").textContent = frames[index].number;
  el("frames").textContent = frames.length;
  el("time").textContent = formatTime(position);
  el("duration").textContent = formatTime(end());
  el("progress").style.width = (end() > 0 ? 100 * position / end() : 100) + "%";
  el("play").textContent = playing ? "Pause" : "Play";
  el("speed").textContent = speeds[speedIndex] + "×";
}

function seek(t) {
  position = Math.min(Math.max(0, t), end());
  if (playing) playStart = { wall: performance.now(), position };
  render();
}

function setPlaying(on) {
  playing = on && frames.length > 0;
  if (playing && position >= end() && !live) position = 0;
  playStart = playing ? { wall: performance.now(), position } : null;
  render();
  if (playing) requestAnimationFrame(tick);
}

function tick(now) {
  if (!playing) return;
  const t = playStart.position + (now - playStart.wall) * 1000 * speeds[speedIndex];
  if (t >= end()) {
    position = end();
    // A live session waits at its last frame for the next; a finished one stops there.
    if (!live) playing = false;
    else playStart = { wall: now, position };
  } else {
    position = t;
  }
  render();
  if (playing) requestAnimationFrame(tick);
}

function step(by) {
  if (!frames.length) return;
  setPlaying(false);
  const i = Math.min(Math.max(0, frameAt(position) + by), frames.length - 1);
  seek(frames[i].offset_us);
}

function changeSpeed(by) {
  speedIndex = Math.min(Math.max(0, speedIndex + by), speeds.length - 1);
  if (playing) playStart = { wall: performance.now(), position };
  render();
}

function addFrames(list) {
  const last = frames.length ? frames[frames.length - 1].number : 0;
  for (const f of list) if (f.number > last) frames.push({ number: f.number, offset_us: f.offset_us });
}

async function showSession() {
  const s = await api("/api/sessions/" + sessionId);
  document.title = "screenreel: " + s.name;
  el("title").textContent = s.name || "(no name)";
  el("details").textContent = new Date(s.started_us / 1000).toLocaleString() + " · " + s.width + "×" + s.height +
    " · " + s.status;
  live = s.live;
  el("live").hidden = !live;
  return s;
}

async function follow() {
  try {
    const s = await showSession();
    const answer = await api("/api/sessions/" + sessionId + "/frames?from=" + end());
    const before = frames.length;
    addFrames(answer.frames);
    if (frames.length !== before || !s.live) render();
  } catch (e) {
    showMessage("Cannot follow the session: " + e.message);
  }
  if (live) setTimeout(follow, 1000);
}

async function start() {
  try {
    await showSession();
    let from = 0;
    for (;;) {  // a long session comes in parts
      const answer = await api("/api/sessions/" + sessionId + "/frames?from=" + from);
      addFrames(answer.frames);
      if (!answer.truncated) break;
      from = end();
    }
    if (!frames.length) showMessage(live ? "No frames yet: waiting for the first." : "This session has no frames.");
    if (params.has("t")) position = Math.min(Math.max(0, Number(params.get("t")) || 0), end());  // from a search hit
    render();
    document.body.dataset.loaded = "true";
    if (live) setTimeout(follow, 1000);
  } catch (e) {
    showMessage("Cannot load session " + sessionId + ": " + e.message);
  }
}

el("timeline").addEventListener("click", (e) => {
  const box = el("timeline").getBoundingClientRect();
  seek((e.clientX - box.left) / box.width * end());
});
el("play").addEventListener("click", () => setPlaying(!playing));
el("prev").addEventListener("click", () => step(-1));
el("next").addEventListener("click", () => step(1));
el("slower").addEventListener("click", () => changeSpeed(-1));
el("faster").addEventListener("click", () => changeSpeed(1));
document.addEventListener("keydown", (e) => {
  if (e.target.tagName === "INPUT") return;
  const actions = {
    " ": () => setPlaying(!playing),
    ArrowLeft: () => step(-1),
    ArrowRight: () => step(1),
    "[": () => changeSpeed(-1),
    "]": () => changeSpeed(1),
  };
  const action = actions[e.key];
  if (!action) return;
  e.preventDefault();
  action();
});
start();
