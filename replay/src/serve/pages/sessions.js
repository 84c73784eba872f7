// The sessions page: every session, newest first, a page of them at a time, filtered by name.
"use strict";

const pageSize = 48;
let offset = 0;
let filterTimer = null;

function sessionCard(s) {
  const li = document.createElement("li");
  li.dataset.session = s.id;
  const a = document.createElement("a");
  a.href = "/session?id=" + s.id;
  if (s.thumbnail) {
    const img = document.createElement("img");
    img.loading = "lazy";
    img.src = s.thumbnail;
    img.alt = "first frame of " + s.name;
    a.appendChild(img);
  } else {
    const none = document.createElement("div");
    none.className = "noframe";
    none.textContent = "no frames yet";
    a.appendChild(none);
  }
  const info = document.createElement("div");
  info.className = "info";
  const name = document.createElement("div");
  name.className = "name";
  name.textContent = (s.name || "(no name)") + " ";
  if (s.live) {
    const live = document.createElement("span");
    live.className = "live";
    live.textContent = "live";
    name.appendChild(live);
  }
  const when = document.createElement("div");
  when.textContent = new Date(s.started_us / 1000).toLocaleString() + " · " + formatTime(s.duration_us);
  const what = document.createElement("div");
  what.textContent = s.frames + " frames · " + s.width + "×" + s.height + " · " + s.status;
  info.append(name, when, what);
  a.appendChild(info);
  li.appendChild(a);
  return li;
}

async function load() {
  const filter = document.getElementById("filter").value;
  try {
    const page = await api("/api/sessions?offset=" + offset + "&limit=" + pageSize + "&name=" + encodeURIComponent(filter));
    const list = document.getElementById("sessions");
    list.replaceChildren(...page.sessions.map(sessionCard));
    document.getElementById("count").textContent = page.total + " sessions";
    document.getElementById("page").textContent =
      page.total ? (offset + 1) + "–" + (offset + page.sessions.length) + " of " + page.total : "";
    document.getElementById("newer").disabled = offset === 0;
    document.getElementById("older").disabled = offset + page.sessions.length >= page.total;
    showMessage(page.total ? "" : "No sessions" + (filter ? " match" : " yet") + ".");
    document.body.dataset.loaded = "true";
  } catch (e) {
    showMessage("Cannot list the sessions: " + e.message);
  }
}

// A hit: the frame where the line was first seen, the matched words' boxes drawn over it (in
// percent of the frame, so they follow the thumbnail's size), and the line; a click opens the
// player at that moment with the words marked on its timeline.
function hitCard(h, words) {
  const li = document.createElement("li");
  const a = document.createElement("a");
  a.href = "/session?id=" + h.session + "&t=" + h.offset_us + "&q=" + encodeURIComponent(words);
  const thumb = document.createElement("div");
  thumb.className = "thumb";
  const img = document.createElement("img");
  img.src = h.thumbnail;
  img.alt = "frame " + h.number + " of " + h.session_name;
  thumb.appendChild(img);
  if (h.width && h.height) {
    for (const b of h.highlights) {
      const box = document.createElement("div");
      box.className = "box";
      box.style.left = (100 * b.x / h.width) + "%";
      box.style.top = (100 * b.y / h.height) + "%";
      box.style.width = (100 * b.width / h.width) + "%";
      box.style.height = (100 * b.height / h.height) + "%";
      thumb.appendChild(box);
    }
  }
  const caption = document.createElement("div");
  caption.className = "caption";
  caption.textContent = h.session_name + " at " + formatTime(h.offset_us) + " (frame " + h.number + "): " + h.text;
  a.append(thumb, caption);
  li.appendChild(a);
  return li;
}

// Text search (the OCR text index): each hit opens the player where the line was first seen.
async function search(words) {
  const section = document.getElementById("hits");
  const list = document.getElementById("hit-list");
  try {
    const answer = await api("/api/search?q=" + encodeURIComponent(words));
    list.replaceChildren(...answer.hits.map((h) => hitCard(h, words)));
    if (!answer.hits.length) list.replaceChildren(Object.assign(document.createElement("li"), { textContent: "No text matched." }));
    section.hidden = false;
    section.dataset.loaded = "true";
  } catch (e) {
    showMessage("Cannot search: " + e.message);
  }
}

document.getElementById("search").addEventListener("submit", (e) => {
  e.preventDefault();
  const words = document.getElementById("words").value.trim();
  if (words) search(words);
});
document.getElementById("filter").addEventListener("input", () => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(() => { offset = 0; load(); }, 250);
});
document.getElementById("newer").addEventListener("click", () => { offset = Math.max(0, offset - pageSize); load(); });
document.getElementById("older").addEventListener("click", () => { offset += pageSize; load(); });
load();
