// TaskWeaver's page: the task table, the queue, a task's runs and a log,
// live from the API's event stream. Plain JS, no build step, nothing
// fetched from elsewhere. The token comes in the address's fragment
// (#token=...), which no request carries, and is kept in sessionStorage.
"use strict";

const state = { token: null, who: null, tasks: [], recent: {}, open: null,
                logRun: null, logOffset: 0 };

function $(id) { return document.getElementById(id); }

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k instanceof Node ? k : String(k));
  return e;
}

function say(text) {
  const m = $("message");
  m.textContent = text;
  m.hidden = !text;
}

async function api(method, path, body) {
  const opts = { method, headers: { Authorization: "Bearer " + state.token } };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const r = await fetch("/api/v1" + path, opts);
  const data = await r.json().catch(() => ({}));
  if (r.status === 401) {
    sessionStorage.removeItem("tw-token");
    showLogin();
    throw new Error(data.error ? data.error.message : "unauthorized");
  }
  if (!r.ok) throw new Error(data.error ? data.error.message : r.statusText);
  return data;
}

function when(iso) {
  if (!iso) return "-";
  const d = new Date(iso), now = Date.now(), s = Math.round((d - now) / 1000);
  const abs = Math.abs(s);
  const span = abs < 90 ? abs + "s" : abs < 5400 ? Math.round(abs / 60) + "m"
    : abs < 129600 ? Math.round(abs / 3600) + "h" : Math.round(abs / 86400) + "d";
  return s >= 0 ? "in " + span : span + " ago";
}

// Seconds (as runs have them) in words.
function took(secs) {
  if (secs === null || secs === undefined) return "-";
  const ms = Math.round(secs * 1000);
  return ms < 1000 ? ms + "ms" : ms < 60000 ? (ms / 1000).toFixed(1) + "s"
    : Math.round(ms / 60000) + "m";
}

const bars = "▁▂▃▄▅▆▇█";
function spark(runs) {
  if (!runs || runs.length === 0) return "";
  const max = Math.max(0.001, ...runs.map(r => r.duration || 0));
  return runs.map(r => r.status !== "ok" ? "✗"
    : bars[Math.min(7, Math.floor((r.duration || 0) * 7 / max))]).join("");
}

function writeButton(label, action) {
  if (state.who && state.who.read_only) return "";
  return el("button", { type: "button", class: "write", onclick: async (ev) => {
    ev.stopPropagation();
    try { await action(); say(""); refresh(); } catch (e) { say(label + ": " + e.message); }
  } }, label);
}

function renderTasks() {
  const q = $("filter").value.trim().toLowerCase();
  const body = $("tasks").tBodies[0];
  body.replaceChildren();
  for (const t of state.tasks) {
    if (q && !t.name.toLowerCase().includes(q)) continue;
    const last = t.last_run;
    const st = t.paused ? "paused" : t.state;
    body.append(el("tr", { "data-task": t.name },
      el("td", { class: "name" }, el("a", { href: "#", onclick: (ev) => {
        ev.preventDefault(); openTask(t.name); } }, t.name)),
      el("td", { class: st }, st),
      el("td", {}, [t.schedule, t.on].filter(Boolean).join("; ") || "-"),
      el("td", {}, when(t.next_run)),
      el("td", { class: last ? last.status : "" },
        last ? last.status + " " + when(last.started_at) : "never"),
      el("td", { class: "spark" }, spark(state.recent[t.name])),
      el("td", {},
        writeButton("Run", () => api("POST", "/tasks/" + encodeURIComponent(t.name) + "/run", {})),
        " ",
        t.paused
          ? writeButton("Resume", () => api("POST", "/tasks/" + encodeURIComponent(t.name) + "/resume", {}))
          : writeButton("Pause", () => api("POST", "/tasks/" + encodeURIComponent(t.name) + "/pause", {})))));
  }
}

function renderQueue(runs) {
  const body = $("queue").tBodies[0];
  body.replaceChildren();
  for (const r of runs) {
    body.append(el("tr", {},
      el("td", {}, r.id), el("td", {}, r.task),
      el("td", { class: r.status }, r.status),
      el("td", {}, when(r.started_at)),
      el("td", {}, r.cpu_user === null ? "-" : took((r.cpu_user || 0) + (r.cpu_sys || 0))),
      el("td", {}, r.max_rss ? (r.max_rss / 1048576).toFixed(1) + " MiB" : "-"),
      el("td", {}, r.status === "running"
        ? writeButton("Kill", () => api("POST", "/runs/" + r.id + "/kill", {})) : "")));
  }
  $("queue-section").hidden = runs.length === 0;
}

async function refresh() {
  try {
    const [status, list, queue, runs] = await Promise.all([
      api("GET", "/status"), api("GET", "/tasks"), api("GET", "/queue"),
      api("GET", "/runs?limit=200")]);
    $("daemon").textContent = "twd " + status.version + ", " +
      status.tasks + " tasks, " + status.running + " running";
    state.tasks = list.tasks;
    state.recent = {};
    for (const r of runs.runs.slice().reverse()) {
      if (r.status === "running" || r.status === "queued") continue;
      (state.recent[r.task] = state.recent[r.task] || []).push(r);
    }
    for (const k in state.recent) state.recent[k] = state.recent[k].slice(-20);
    renderTasks();
    renderQueue(queue.runs || []);
    if (state.open) openTask(state.open);
  } catch (e) {
    say(e.message);
  }
}

/* What changed, for a run a git or path trigger made; "" for the rest. */
function changeText(c) {
  if (!c) return "";
  if (c.kind === "git")
    return c.branch + (c.old ? " moved from " + c.old.slice(0, 7) : " appeared") +
      " to " + c.new.slice(0, 7);
  return c.paths + " path" + (c.paths === 1 ? "" : "s") + " changed" +
    (c.path ? ": " + c.path : c.sample && c.sample.length ? ": " + c.sample[0] + " ..." : "");
}

async function openTask(name) {
  state.open = name;
  $("detail").hidden = false;
  $("detail-name").textContent = name;
  const runs = (await api("GET", "/runs?limit=20&task=" + encodeURIComponent(name))).runs;
  const body = $("runs").tBodies[0];
  body.replaceChildren();
  for (const r of runs) {
    body.append(el("tr", {},
      el("td", {}, el("a", { href: "#", onclick: (ev) => {
        ev.preventDefault(); openLog(r.id); } }, r.id)),
      el("td", {}, when(r.started_at)),
      el("td", { title: changeText(r.change) }, r.trigger),
      el("td", { class: r.status }, r.status),
      el("td", {}, took(r.duration)),
      el("td", {}, r.status === "running"
        ? writeButton("Kill", () => api("POST", "/runs/" + r.id + "/kill", {})) : "")));
  }
  if (runs.length > 0 && state.logRun === null) openLog(runs[0].id);
}

async function openLog(id) {
  if (state.logRun !== id) {
    state.logRun = id;
    state.logOffset = 0;
    $("log").textContent = "";
  }
  $("log-title").textContent = "Run " + id;
  const chunk = await api("GET", "/runs/" + id + "/log?offset=" + state.logOffset);
  $("log").textContent += chunk.text;
  state.logOffset = chunk.next_offset;
}

// The event stream: fetch, not EventSource, which cannot send the token.
async function listen() {
  for (;;) {
    try {
      const r = await fetch("/api/v1/events?events=run.*&events=task.*",
        { headers: { Authorization: "Bearer " + state.token } });
      if (!r.ok) throw new Error("events: " + r.status);
      $("daemon").classList.remove("paused");
      const reader = r.body.getReader(), dec = new TextDecoder();
      let buf = "", pending = null;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (!block.startsWith(":") && pending === null) {
            // Many events at once are one refresh.
            pending = setTimeout(() => { pending = null; refresh(); }, 150);
          }
          if (state.logRun !== null && block.includes("run.output")) openLog(state.logRun);
        }
      }
    } catch (e) {
      say("live updates stopped (" + e.message + "); trying again");
    }
    await new Promise(res => setTimeout(res, 3000));
  }
}

function showLogin() {
  $("login").hidden = false;
  $("tasks-section").hidden = true;
}

async function start() {
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    sessionStorage.setItem("tw-token", decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname);
  }
  state.token = sessionStorage.getItem("tw-token");
  if (!state.token) { showLogin(); return; }
  try {
    state.who = await api("GET", "/whoami");
  } catch (e) {
    say(e.message);
    return;
  }
  $("who").textContent = state.who.name + (state.who.read_only ? " (read-only)" : "");
  document.body.classList.toggle("read-only", state.who.read_only);
  $("login").hidden = true;
  $("tasks-section").hidden = false;
  await refresh();
  listen();
}

document.addEventListener("DOMContentLoaded", () => {
  $("filter").addEventListener("input", renderTasks);
  $("detail-close").addEventListener("click", () => {
    $("detail").hidden = true; state.open = null; state.logRun = null; });
  $("login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem("tw-token", $("login-token").value.trim());
    start();
  });
  start();
});
