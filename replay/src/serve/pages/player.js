// The session page's player: the session's JPEGs shown at their recorded timing, from the time
// in ?t=US (a search hit) or the first frame. The frame list
// comes from /api/sessions/ID/frames (number and time of each); a live session's new frames are
// asked for every second. The player element's data-number, data-offset-us and data-playing say
// what it shows (tests read them). Under it, the timeline strip (/api/sessions/ID/timeline):
// activity per second, gaps, skipped ticks, markers, pauses and the text found (?q=WORDS or the
// Mark box); n and N
// ask the API for the next and previous frame that changed.
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
  el("download-frame").href = frameUrl(frames[index]) + "?download";
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

// --- The timeline strip ---------------------------------------------------------------------
let strip = null;  // the answer of /api/sessions/ID/timeline
let hits = [];     // {offset_us, last_offset_us, text}

// Its colour for a share of the screen changed: pale for a little, dark for all of it.
function heat(share) {
  if (share <= 0) return "#e8e8e8";
  const l = Math.round(85 - 55 * Math.min(1, Math.sqrt(share)));
  return "hsl(210, 70%, " + l + "%)";
}

function drawStrip() {
  const canvas = el("heat");
  const width = el("timeline").clientWidth;
  canvas.width = width;
  const g = canvas.getContext("2d");
  const h = canvas.height;
  g.fillStyle = "#e8e8e8";
  g.fillRect(0, 0, width, h);
  if (!strip || !strip.activity.length) return;
  const span = Math.max(end(), 1);
  const x = (us) => us / span * width;
  // Each pixel column shows its buckets' highest activity.
  const perPixel = new Float64Array(width).fill(-1);
  const skipped = new Uint8Array(width);
  strip.activity.forEach((a, i) => {
    const from = Math.min(width - 1, Math.floor(x(i * strip.bucket_us)));
    const to = Math.min(width - 1, Math.max(from, Math.ceil(x((i + 1) * strip.bucket_us)) - 1));
    for (let p = from; p <= to; ++p) {
      if (strip.frames[i] > 0) perPixel[p] = Math.max(perPixel[p], a);
      if (strip.skipped_ticks[i] > 0) skipped[p] = 1;
    }
  });
  for (let p = 0; p < width; ++p) {
    if (perPixel[p] < 0) continue;
    g.fillStyle = heat(perPixel[p]);
    g.fillRect(p, 0, 1, h - 4);
    if (skipped[p]) { g.fillStyle = "#e80"; g.fillRect(p, h - 4, 1, 4); }
  }
  // Gaps: no frame for a while (a still screen with damage capture, or nothing captured).
  g.fillStyle = "rgba(90, 90, 90, 0.45)";
  for (const gap of strip.gaps) {
    const a = x(gap.from_us), b = x(gap.to_us);
    for (let p = Math.floor(a); p < b; p += 4) g.fillRect(p, 0, 2, h - 4);
  }
}

// The marks over the strip: text found (yellow), markers (a red line with its label as a
// tooltip) and pauses (a violet span).
function markEvents() {
  const marks = el("marks");
  const span = Math.max(end(), 1);
  const mark = (className, fromUs, toUs, title) => {
    const m = document.createElement("div");
    m.className = className;
    m.title = title;
    m.dataset.offsetUs = fromUs;
    m.style.left = (100 * fromUs / span) + "%";
    if (toUs !== null) m.style.width = "max(3px, " + (100 * Math.max(0, toUs - fromUs) / span) + "%)";
    return m;
  };
  const events = strip ? [
    ...strip.pauses.map((p) => mark("pause", p.from_us, p.to_us, "paused " + formatTime(p.from_us) + " to " +
                                    formatTime(p.to_us) + " (" + p.reason + ")")),
    ...strip.markers.map((m) => {
      const e = mark("marker", m.offset_us, null, formatTime(m.offset_us) + ": " + m.label);
      e.dataset.label = m.label;
      return e;
    }),
  ] : [];
  marks.replaceChildren(...events,
    ...hits.map((hit) => mark("hit", hit.offset_us, hit.last_offset_us, formatTime(hit.offset_us) + ": " + hit.text)));
}

async function loadStrip() {
  try {
    strip = await api("/api/sessions/" + sessionId + "/timeline");
    drawStrip();
    markEvents();
    const t = el("timeline");
    t.dataset.buckets = strip.activity.length;
    t.dataset.gaps = strip.gaps.length;
    t.dataset.loaded = "true";
  } catch (e) {
    showMessage("Cannot draw the timeline: " + e.message);
  }
}

async function findText(words) {
  try {
    const answer = await api("/api/search?limit=200&session=" + sessionId + "&q=" + encodeURIComponent(words));
    hits = answer.hits;
    markEvents();
    el("find-count").textContent = hits.length + (hits.length === 1 ? " place" : " places");
  } catch (e) {
    showMessage("Cannot search: " + e.message);
  }
}

function showHover(e) {
  if (!frames.length) return;
  const box = el("timeline").getBoundingClientRect();
  const fraction = Math.min(Math.max(0, (e.clientX - box.left) / box.width), 1);
  const f = frames[frameAt(fraction * end())];
  const hover = el("hover");
  const url = frameUrl(f);
  if (!el("hover-image").src.endsWith(url)) el("hover-image").src = url;
  el("hover-time").textContent = formatTime(f.offset_us) + " · frame " + f.number;
  hover.dataset.number = f.number;
  hover.style.left = Math.min(Math.max(0, fraction * box.width - 100), box.width - 200) + "px";
  hover.hidden = false;
}

// n / N: the next or previous frame that changed, found by the catalog (not by scanning here).
async function jumpToChange(forward) {
  if (!frames.length) return;
  setPlaying(false);
  const current = frames[frameAt(position)].number;
  try {
    const answer = await api("/api/sessions/" + sessionId + "/change?" + (forward ? "after=" : "before=") + current);
    if (!answer.frame) {
      showMessage(forward ? "No change after this frame." : "No change before this frame.");
      return;
    }
    showMessage("");
    const i = frames.findIndex((f) => f.number === answer.frame.number);
    seek(answer.frame.offset_us);
    // Frames captured at the same microsecond: show the one asked for.
    if (i >= 0 && frames[frameAt(position)].number !== answer.frame.number) {
      index = i;
      image.src = frameUrl(frames[i]);
      player.dataset.number = frames[i].number;
      el("number").textContent = frames[i].number;
    }
  } catch (e) {
    showMessage("Cannot find the next change: " + e.message);
  }
}

// --- Export: the export command's video, made by serve, its progress shown here -------------
async function startExport() {
  const button = el("export"), bar = el("export-progress"), status = el("export-status");
  button.disabled = true;
  status.textContent = "starting…";
  try {
    const answer = await fetch("/api/sessions/" + sessionId + "/export", { method: "POST", credentials: "same-origin" });
    const job = await answer.json();
    if (!answer.ok) throw new Error(job.error || answer.statusText);
    bar.hidden = false;
    for (;;) {
      const now = await api(job.status);
      bar.max = Math.max(1, now.total);
      bar.value = now.done;
      if (now.state === "failed") throw new Error(now.error);
      if (now.state === "done") {
        const link = document.createElement("a");
        link.id = "export-link";
        link.href = now.file;
        link.download = "";
        link.textContent = "Download video (" + (now.bytes < 1048576 ? Math.ceil(now.bytes / 1024) + " kB"
          : (now.bytes / 1048576).toFixed(1) + " MB") + ")";
        status.replaceChildren(link);
        break;
      }
      status.textContent = now.done + " of " + now.total + " video frames";
      await new Promise((r) => setTimeout(r, 500));
    }
  } catch (e) {
    status.textContent = "Export failed: " + e.message;
  }
  button.disabled = false;
}

async function follow() {
  try {
    const s = await showSession();
    const answer = await api("/api/sessions/" + sessionId + "/frames?from=" + end());
    const before = frames.length;
    addFrames(answer.frames);
    if (frames.length !== before || !s.live) {
      render();
      loadStrip();
    }
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
    await loadStrip();
    if (params.get("q")) {
      el("find-words").value = params.get("q");
      await findText(params.get("q"));
    }
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
el("timeline").addEventListener("mousemove", showHover);
el("timeline").addEventListener("mouseleave", () => { el("hover").hidden = true; });
window.addEventListener("resize", () => { drawStrip(); });
el("find").addEventListener("submit", (e) => {
  e.preventDefault();
  const words = el("find-words").value.trim();
  if (words) findText(words);
});
el("export").addEventListener("click", startExport);
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
    n: () => jumpToChange(true),
    N: () => jumpToChange(false),
  };
  const action = actions[e.key];
  if (!action) return;
  e.preventDefault();
  action();
});
start();
