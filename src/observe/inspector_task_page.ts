/**
 * The inspector's task view, `/tasks/{uuid}`: one self-contained page (no CDN, no build step)
 * that reads `GET /v1/tasks/{uuid}` and draws the task's DAG as an SVG graph (each step's state
 * and attempts), a timeline of its steps, each step's result or error, and every event it fired
 * with its payload (durable ones included). While the task runs the page refreshes every second.
 * A running task can be cancelled and a failed one retried from it (`POST .../cancel`,
 * `.../retry`). Like the live page it holds no data itself: the bearer token comes from the
 * `#token=` fragment, which never leaves the browser.
 *
 * @module
 */

/** The task page's path: `/tasks/{uuid}`. */
export const TASK_PAGE_PATH: RegExp = /^\/tasks\/[0-9a-fA-F-]{36}$/;

const STYLE = `
:root{--bg:#f5f6f8;--card:#fff;--ink:#1d2330;--muted:#6b7385;--line:#e3e6ec;--accent:#2f6fdf;
--ok:#1f9d55;--warn:#d98a00;--bad:#d64545;--idle:#9aa3b2;font:14px/1.45 system-ui,-apple-system,
"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
*{box-sizing:border-box}body{margin:0}
header{display:flex;align-items:center;gap:14px;padding:12px 20px;background:#161b26;color:#fff}
header h1{font-size:16px;margin:0;font-weight:600}header h1 span{color:#8fb4ff;font-weight:500}
header a{color:#b8c0d0;font-size:13px}header .meta{margin-left:auto;color:#b8c0d0;font-size:12px}
main{display:flex;flex-direction:column;gap:16px;padding:16px 20px}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px}
section h2{font-size:13px;text-transform:uppercase;letter-spacing:.6px;color:var(--muted);margin:0 0 10px}
dl{display:grid;grid-template-columns:auto 1fr;gap:2px 14px;margin:0;font-size:13px}
dt{color:var(--muted)}dd{margin:0;font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace}
.badge{padding:2px 10px;border-radius:99px;font-size:12px;color:#fff;background:var(--idle)}
.s-complete,.s-resolved_manually{background:var(--ok)}.s-error,.s-blocked_by_failures{background:var(--bad)}
.s-in_progress,.s-enqueued,.s-steps_in_process,.s-enqueuing_steps,.s-initializing,.s-evaluating_results{background:var(--accent)}
.s-waiting_for_retry{background:var(--warn)}
.s-cancelled{background:#6b7385}
.actions{display:flex;gap:8px;align-items:center;margin-top:10px}
button{font:inherit;font-size:13px;padding:6px 12px;border-radius:6px;border:1px solid var(--line);
background:#fff;cursor:pointer}button:disabled{opacity:.45;cursor:default}
button.danger{background:var(--bad);border-color:var(--bad);color:#fff}
button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
#action-result{font-size:13px;color:var(--muted)}#action-result.bad{color:var(--bad)}
svg text{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
.graph{overflow:auto}
table{width:100%;border-collapse:collapse;font-size:13px}
th{text-align:left;color:var(--muted);font-weight:500;font-size:12px;padding:4px 6px;border-bottom:1px solid var(--line)}
td{padding:5px 6px;border-bottom:1px solid #f0f2f5;vertical-align:top}
td.name{font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace;font-weight:600;white-space:nowrap}
pre{margin:0;padding:6px 8px;background:#f7f8fa;border-radius:6px;font-size:12px;white-space:pre-wrap;
word-break:break-all;max-height:220px;overflow:auto}
#error{color:var(--bad)}
`;

const SCRIPT = `
"use strict";
const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.hash.slice(1)).get("token");
const uuid = location.pathname.split("/").pop();
const api = "/v1/tasks/" + uuid;
const SVG = "http://www.w3.org/2000/svg";
const FILL = { complete: "#1f9d55", resolved_manually: "#1f9d55", error: "#d64545",
  in_progress: "#2f6fdf", enqueued: "#6f9be8", waiting_for_retry: "#d98a00", cancelled: "#6b7385",
  pending: "#9aa3b2" };
let timer = null;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}
function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}
function headers(extra) {
  const h = Object.assign({ accept: "application/json" }, extra || {});
  if (token) h.authorization = "Bearer " + token;
  return h;
}
function ms(a, b) {
  if (!a || !b) return "";
  const d = Date.parse(b) - Date.parse(a);
  return d < 1000 ? d + " ms" : (d / 1000).toFixed(2) + " s";
}
function json(value) { return JSON.stringify(value, null, 2); }

/** Levels by longest path from a root; rows in template order within a level. */
function layout(steps) {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const level = new Map();
  const depth = (s, seen) => {
    if (level.has(s.name)) return level.get(s.name);
    if (seen.has(s.name)) return 0;
    seen.add(s.name);
    const deps = s.dependencies.filter((d) => byName.has(d));
    const l = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((d) => depth(byName.get(d), seen)));
    level.set(s.name, l);
    return l;
  };
  steps.forEach((s) => depth(s, new Set()));
  const rows = new Map();
  const pos = new Map();
  for (const s of steps) {
    const l = level.get(s.name);
    const r = rows.get(l) || 0;
    rows.set(l, r + 1);
    pos.set(s.name, { col: l, row: r });
  }
  return { pos, cols: Math.max(0, ...level.values()) + 1, rows: Math.max(1, ...rows.values()) };
}

function renderGraph(task) {
  const W = 190, H = 54, GX = 60, GY = 22, P = 12;
  const { pos, cols, rows } = layout(task.steps);
  const width = P * 2 + cols * W + (cols - 1) * GX, height = P * 2 + rows * H + (rows - 1) * GY;
  const at = (name) => { const p = pos.get(name); return { x: P + p.col * (W + GX), y: P + p.row * (H + GY) }; };
  const root = svg("svg", { id: "dag", width, height, viewBox: "0 0 " + width + " " + height, role: "img",
    "aria-label": "step graph of task " + task.task_uuid });
  root.append(svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5,
    markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, svg("path", { d: "M0 0L10 5L0 10z", fill: "#9aa3b2" }))));
  for (const s of task.steps) {
    for (const d of s.dependencies) {
      if (!pos.has(d)) continue;
      const a = at(d), b = at(s.name);
      const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2, mx = (x1 + x2) / 2;
      root.append(svg("path", { class: "edge", "data-from": d, "data-to": s.name,
        d: "M" + x1 + " " + y1 + "C" + mx + " " + y1 + " " + mx + " " + y2 + " " + x2 + " " + y2,
        fill: "none", stroke: "#9aa3b2", "stroke-width": 1.5, "marker-end": "url(#arrow)" }));
    }
  }
  for (const s of task.steps) {
    const p = at(s.name);
    const g = svg("g", { class: "node", "data-step": s.name, "data-state": s.state,
      transform: "translate(" + p.x + " " + p.y + ")" });
    g.append(svg("title", {}, s.name + ": " + s.state + ", attempts " + s.attempts + "/" + s.max_attempts));
    g.append(svg("rect", { width: W, height: H, rx: 8, fill: "#fff", stroke: FILL[s.state] || "#9aa3b2", "stroke-width": 2 }));
    g.append(svg("rect", { width: 6, height: H, rx: 3, fill: FILL[s.state] || "#9aa3b2" }));
    const label = s.name.length > 22 ? s.name.slice(0, 21) + "…" : s.name;
    g.append(svg("text", { x: 14, y: 20, "font-weight": 600, fill: "#1d2330" }, label));
    g.append(svg("text", { x: 14, y: 40, fill: "#6b7385" },
      s.state + " · " + s.attempts + "/" + s.max_attempts + (s.started_at && s.completed_at ? " · " + ms(s.started_at, s.completed_at) : "")));
    root.append(g);
  }
  $("graph").replaceChildren(root);
}

function renderTimeline(task) {
  const runs = task.steps.filter((s) => s.started_at);
  if (runs.length === 0) { $("timeline").replaceChildren(el("div", { class: "dim" }, "no step has started yet")); return; }
  const start = Date.parse(task.created_at);
  const end = Math.max(...task.steps.map((s) => Date.parse(s.completed_at || "") || 0), Date.parse(task.updated_at), start + 1);
  const W = 760, L = 190, ROW = 22;
  const scale = (t) => L + ((t - start) / (end - start)) * (W - L - 10);
  const root = svg("svg", { id: "timeline-svg", width: W, height: ROW * runs.length + 24 });
  runs.forEach((s, i) => {
    const y = i * ROW + 4;
    const a = scale(Date.parse(s.started_at)), b = scale(s.completed_at ? Date.parse(s.completed_at) : end);
    root.append(svg("text", { x: 0, y: y + 13, fill: "#1d2330" }, s.name.slice(0, 24)));
    root.append(svg("rect", { class: "bar", "data-step": s.name, x: a, y, width: Math.max(2, b - a), height: 16, rx: 3,
      fill: FILL[s.state] || "#9aa3b2" }, svg("title", {}, s.name + " " + ms(s.started_at, s.completed_at || new Date(end).toISOString()))));
  });
  root.append(svg("text", { x: L, y: ROW * runs.length + 20, fill: "#6b7385" }, "0"));
  root.append(svg("text", { x: W - 80, y: ROW * runs.length + 20, fill: "#6b7385" }, ms(new Date(start).toISOString(), new Date(end).toISOString())));
  $("timeline").replaceChildren(root);
}

function renderSteps(task) {
  $("steps").replaceChildren(...task.steps.map((s) => el("tr", { "data-step": s.name },
    el("td", { class: "name" }, s.name),
    el("td", {}, el("span", { class: "badge s-" + s.state }, s.state)),
    el("td", {}, s.attempts + "/" + s.max_attempts),
    el("td", {}, s.started_at ? s.started_at.slice(11, 23) : ""),
    el("td", {}, ms(s.started_at, s.completed_at)),
    el("td", {}, s.error ? el("pre", { class: "error" }, json(s.error)) :
      s.result !== null && s.result !== undefined ? el("pre", {}, json(s.result)) : ""))));
}

function renderEvents(task) {
  if (task.events.length === 0) { $("events").replaceChildren(el("tr", {}, el("td", { colspan: 5, class: "dim" }, "no events"))); return; }
  $("events").replaceChildren(...task.events.map((e) => el("tr", { class: "event", "data-name": e.event_name, "data-mode": e.delivery_mode },
    el("td", { class: "name" }, e.event_name),
    el("td", {}, e.delivery_mode),
    el("td", {}, e.step_name || ""),
    el("td", {}, e.delivery_mode === "fast" ? "bus" : e.sent_at ? "in " + e.queue : "owed"),
    el("td", {}, el("pre", {}, json(e.payload))))));
}

function render(task) {
  document.title = "deno-tasker · task " + task.task_uuid.slice(-12);
  $("title").textContent = task.namespace + "/" + task.name + "@" + task.version;
  const status = $("status");
  status.textContent = task.status;
  status.className = "badge s-" + task.status;
  // Tasker's fine-grained state, derived from the steps (task_status.ts), beside the stored one.
  const taskerState = $("tasker-state");
  taskerState.textContent = "tasker: " + task.tasker_state;
  taskerState.className = "badge s-" + task.tasker_state;
  const facts = [["task", task.task_uuid], ["correlation id", task.correlation_id], ["created", task.created_at],
    ["finished", task.completed_at || "—"], ["steps", task.steps_complete + "/" + task.step_count + " complete"]];
  if (task.run_at) facts.push(["runs at", task.run_at]);
  if (task.tags.length) facts.push(["tags", task.tags.join(", ")]);
  facts.push(["context", JSON.stringify(task.context)]);
  $("facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  const running = task.status === "pending" || task.status === "in_progress";
  const failed = task.steps.some((s) => s.state === "error");
  $("cancel").disabled = !running;
  $("retry").disabled = !failed;
  renderGraph(task);
  renderTimeline(task);
  renderSteps(task);
  renderEvents(task);
  return running;
}

async function load() {
  clearTimeout(timer);
  try {
    const response = await fetch(api, { headers: headers(), cache: "no-store" });
    const body = await response.json();
    if (!response.ok) {
      $("error").textContent = response.status === 401
        ? "unauthorized: open this page with #token=<token>"
        : (body.message || body.error || "HTTP " + response.status);
      return;
    }
    $("error").textContent = "";
    if (render(body)) timer = setTimeout(load, 1000);
  } catch (error) {
    $("error").textContent = String(error);
    timer = setTimeout(load, 2000);
  }
}

async function act(action) {
  const result = $("action-result");
  result.className = "";
  result.textContent = action + "…";
  const response = await fetch(api + "/" + action, { method: "POST",
    headers: headers({ "content-type": "application/json" }),
    body: JSON.stringify({ by: "inspector", reason: action + " from the inspector" }) });
  const body = await response.json().catch(() => ({}));
  if (response.ok) result.textContent = action + ": task " + body.task_state;
  else { result.className = "bad"; result.textContent = body.message || body.error || "HTTP " + response.status; }
  await load();
}

$("cancel").addEventListener("click", () => act("cancel"));
$("retry").addEventListener("click", () => act("retry"));
$("back").setAttribute("href", "/" + location.hash);
load();
`;

/**
 * The task page's HTML, with `nonce` on its inline script and style (the CSP allows only those).
 *
 * @param nonce a fresh random nonce
 * @returns the whole page
 *
 * @example
 * ```ts
 * import { inspectorTaskPage } from "./inspector_task_page.ts";
 * const html = inspectorTaskPage("bm9uY2U=");
 * ```
 */
export function inspectorTaskPage(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>deno-tasker · task</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<header>
  <h1>deno-tasker <span>task</span></h1>
  <a id="back" href="/">← live inspector</a>
  <span class="meta" id="error"></span>
</header>
<main>
  <section>
    <h2><span id="title">loading…</span> <span id="status" class="badge">…</span>
      <span id="tasker-state" class="badge" title="Tasker's task state, derived from the steps">…</span></h2>
    <dl id="facts"></dl>
    <div class="actions">
      <button id="cancel" class="danger" disabled>Cancel task</button>
      <button id="retry" class="primary" disabled>Retry failed steps</button>
      <span id="action-result"></span>
    </div>
  </section>
  <section><h2>Graph</h2><div class="graph" id="graph"></div></section>
  <section><h2>Timeline</h2><div class="graph" id="timeline"></div></section>
  <section><h2>Steps</h2>
    <table><thead><tr><th>step</th><th>state</th><th>attempts</th><th>started</th><th>took</th>
    <th>result or error</th></tr></thead><tbody id="steps"></tbody></table>
  </section>
  <section><h2>Events</h2>
    <table><thead><tr><th>event</th><th>mode</th><th>step</th><th>delivery</th><th>payload</th></tr>
    </thead><tbody id="events"></tbody></table>
  </section>
</main>
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>`;
}
