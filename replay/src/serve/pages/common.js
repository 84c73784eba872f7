// What both pages share: fetching the JSON API, and formatting times.
"use strict";

async function api(path) {
  const answer = await fetch(path, { credentials: "same-origin" });
  const body = await answer.json();
  if (!answer.ok) throw new Error(body.error || answer.statusText);
  return body;
}

// Microseconds as [H:]M:SS.mmm.
function formatTime(us) {
  const ms = Math.max(0, Math.round(us / 1000));
  const h = Math.floor(ms / 3600000), m = Math.floor(ms / 60000) % 60, s = Math.floor(ms / 1000) % 60;
  const rest = String(s).padStart(2, "0") + "." + String(ms % 1000).padStart(3, "0");
  return h > 0 ? h + ":" + String(m).padStart(2, "0") + ":" + rest : m + ":" + rest;
}

function showMessage(text) {
  const p = document.getElementById("message");
  p.textContent = text;
  p.hidden = !text;
}
