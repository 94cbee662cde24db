/**
 * The inspector's single page: HTML, CSS and script inline, nothing fetched from elsewhere (no
 * build step, no CDN). It reads `/events/stream` with `fetch` rather than `EventSource`, so that
 * it can show the server's 400 for an invalid pattern and send a bearer token (taken from the
 * page's `#token=` fragment only: a query string reaches the server and its logs, a fragment
 * never leaves the browser) when the server requires one.
 *
 * @module
 */

const STYLE = `
:root{--bg:#f5f6f8;--card:#fff;--ink:#1d2330;--muted:#6b7385;--line:#e3e6ec;--accent:#2f6fdf;
--ok:#1f9d55;--warn:#d98a00;--bad:#d64545;--idle:#9aa3b2;font:14px/1.45 system-ui,-apple-system,
"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
*{box-sizing:border-box}body{margin:0}
header{display:flex;align-items:center;gap:16px;padding:12px 20px;background:#161b26;color:#fff}
header h1{font-size:16px;margin:0;font-weight:600;letter-spacing:.2px}
header h1 span{color:#8fb4ff;font-weight:500}
.pill{padding:2px 10px;border-radius:99px;font-size:12px;background:#394256}
.pill.live{background:var(--ok)}.pill.bad{background:var(--bad)}
header .meta{margin-left:auto;color:#b8c0d0;font-size:12px}
main{display:grid;grid-template-columns:minmax(0,1.45fr) minmax(420px,1fr);gap:16px;padding:16px 20px}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px;
min-width:0}
section h2{font-size:13px;text-transform:uppercase;letter-spacing:.6px;color:var(--muted);
margin:0 0 10px;font-weight:600}
.side{display:flex;flex-direction:column;gap:16px;min-width:0}
form{display:flex;gap:8px;margin-bottom:8px}
input{flex:1;font:13px ui-monospace,SFMono-Regular,Menlo,monospace;padding:7px 10px;
border:1px solid var(--line);border-radius:6px}
input:focus{outline:2px solid #bcd0f7;border-color:var(--accent)}
button{font:inherit;font-size:13px;padding:6px 12px;border-radius:6px;border:1px solid var(--line);
background:#fff;cursor:pointer}button.primary{background:var(--accent);border-color:var(--accent);
color:#fff}
#filter-error{color:var(--bad);font-size:13px;min-height:18px;margin-bottom:4px}
#filter-note{color:var(--muted);font-size:12px}
.scroll{max-height:calc(100vh - 210px);overflow:auto}
table{width:100%;border-collapse:collapse;font-size:13px}
th{text-align:left;color:var(--muted);font-weight:500;font-size:12px;padding:4px 6px;
border-bottom:1px solid var(--line);position:sticky;top:0;background:var(--card)}
td{padding:5px 6px;border-bottom:1px solid #f0f2f5;vertical-align:top;white-space:nowrap}
td.name{font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace;font-weight:600}
td.dim,.dim{color:var(--muted)}
tr.event{cursor:pointer}tr.event:hover td{background:#f7f9fd}
tr.event.fresh td{animation:flash 1.2s ease-out}
@keyframes flash{from{background:#e6efff}to{background:transparent}}
pre{margin:0;padding:8px 10px;background:#f7f8fa;border-radius:6px;font-size:12px;
white-space:pre-wrap;word-break:break-all}
.tiles{display:grid;grid-template-columns:repeat(2,1fr);gap:10px}
.tile{border:1px solid var(--line);border-radius:8px;padding:8px 10px}
.tile b{display:block;font-size:20px;font-weight:600}.tile small{color:var(--muted);font-size:12px}
.tile svg{display:block;width:100%;height:26px;margin-top:4px}
dl{display:grid;grid-template-columns:auto 1fr;gap:2px 14px;margin:0;font-size:13px}
dt{color:var(--muted)}dd{margin:0;font-variant-numeric:tabular-nums}
.gauge{width:64px;height:8px;border-radius:4px;background:#edf0f4;overflow:hidden;
display:inline-block;vertical-align:middle;margin-right:6px}
.gauge i{display:block;height:100%;background:var(--ok)}
.gauge i.warn{background:var(--warn)}.gauge i.bad{background:var(--bad)}
.task{padding:7px 0;border-bottom:1px solid #f0f2f5}.task:last-child{border:0}
.task .head{display:flex;gap:8px;align-items:baseline;font-size:13px}
.task .head code{font-size:12.5px;font-weight:600}.task .head a{color:inherit}
.badge{font-size:11px;padding:1px 7px;border-radius:99px;color:#fff;background:var(--idle)}
.steps{display:flex;flex-wrap:wrap;gap:4px;margin-top:4px}
.chip{font-size:11px;padding:1px 6px;border-radius:4px;color:#fff;background:var(--idle)}
.s-complete,.s-running{background:var(--ok)}.s-error,.s-escalated,.s-stopped{background:var(--bad)}
.s-waiting_for_retry,.s-restarting{background:var(--warn)}
.s-in_progress,.s-enqueued{background:var(--accent)}
.empty{color:var(--muted);font-size:13px;padding:6px 0}
`;

const SCRIPT = `
"use strict";
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
// The token comes from the fragment only: a browser never sends it, so it stays out of logs.
const token = new URLSearchParams(location.hash.slice(1)).get("token");
const MAX_ROWS = 500;
let controller = null;
let paused = false;
let received = 0;
const history = { steps_per_s: [], routed_per_s: [], written_per_s: [], published_per_s: [] };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value; else node.setAttribute(key, value);
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function setStatus(text, kind) {
  const status = $("status");
  status.textContent = text;
  status.className = "pill" + (kind ? " " + kind : "");
}

function hue(name) {
  let h = 0;
  for (const c of name.split(".")[0]) h = (h * 31 + c.charCodeAt(0)) % 360;
  return "hsl(" + h + " 55% 38%)";
}

function addEvent(event) {
  received++;
  $("received").textContent = String(received);
  if (paused) return;
  const time = (event.metadata && event.metadata.fired_at || "").slice(11, 23);
  const row = el("tr", { class: "event fresh", "data-name": event.event_name },
    el("td", { class: "dim" }, time),
    el("td", { class: "name" }, event.event_name),
    el("td", {}, event.metadata ? event.metadata.namespace + " / " + event.metadata.step_name : ""),
    el("td", { class: "dim" }, event.metadata ? event.metadata.fired_by : ""));
  row.firstChild.title = event.event_id;
  row.children[1].style.color = hue(event.event_name);
  row.addEventListener("click", () => {
    const next = row.nextSibling;
    if (next && next.classList && next.classList.contains("detail")) { next.remove(); return; }
    row.after(el("tr", { class: "detail" },
      el("td", { colspan: "4" }, el("pre", {}, JSON.stringify(event, null, 2)))));
  });
  const body = $("events");
  body.prepend(row);
  $("no-events").hidden = true;
  while (body.children.length > MAX_ROWS) body.lastChild.remove();
}

function spark(values) {
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? 100 / (values.length - 1) : 100;
  const points = values.map((v, i) => (i * step).toFixed(1) + "," + (25 - (v / max) * 23).toFixed(1));
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 100 26");
  svg.setAttribute("preserveAspectRatio", "none");
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  line.setAttribute("points", points.join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "#2f6fdf");
  line.setAttribute("stroke-width", "1.5");
  line.setAttribute("vector-effect", "non-scaling-stroke");
  svg.append(line);
  return svg;
}

function renderRates(rates) {
  const labels = { steps_per_s: "steps / s (queues)", routed_per_s: "events routed / s",
    written_per_s: "written to PGMQ / s", published_per_s: "bus published / s" };
  const tiles = [];
  for (const key of Object.keys(labels)) {
    history[key].push(rates[key]);
    if (history[key].length > 60) history[key].shift();
    tiles.push(el("div", { class: "tile", id: "rate-" + key }, el("b", {}, rates[key]),
      el("small", {}, labels[key]), spark(history[key])));
  }
  $("rates").replaceChildren(...tiles);
}

function ms(value) {
  return (value < 10 ? value.toFixed(2) : value.toFixed(1)) + " ms";
}

function renderWriter(w, bus) {
  const rows = [["buffer depth", w.buffer_depth], ["in flight", w.in_flight],
    ["written", w.written], ["batches", w.batches + " (mean " + w.mean_batch_size.toFixed(1) + ")"],
    ["latency p50 / p99", ms(w.latency_p50_ms) + " / " + ms(w.latency_p99_ms)],
    ["dropped / rejected", w.dropped + " / " + w.rejected],
    ["bus published", bus.published + " (" + bus.dropped + " dropped)"],
    ["last error", w.last_error || "none"]];
  $("writer").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

function renderActors(actors) {
  const rows = actors.map((a) => {
    const fill = a.mailboxCapacity > 0 ? a.mailboxDepth / a.mailboxCapacity : 0;
    const bar = el("i", { class: fill > 0.9 ? "bad" : fill > 0.5 ? "warn" : "" });
    bar.style.width = Math.max(fill * 100, a.mailboxDepth > 0 ? 2 : 0) + "%";
    const dropped = Object.values(a.dropped).reduce((x, y) => x + y, 0);
    return el("tr", { "data-actor": a.name },
      el("td", { class: "name" }, a.name),
      el("td", {}, el("span", { class: "gauge" }, bar), a.mailboxDepth + "/" + a.mailboxCapacity),
      el("td", {}, a.processed), el("td", {}, a.restarts), el("td", {}, dropped),
      el("td", {}, el("span", { class: "badge s-" + a.state }, a.state)));
  });
  $("actors").replaceChildren(...rows);
}

function renderTasks(tasks) {
  if (tasks.length === 0) {
    $("tasks").replaceChildren(el("div", { class: "empty" }, "no task has run yet"));
    return;
  }
  $("tasks").replaceChildren(...tasks.slice(0, 12).map((t) => el("div", { class: "task" },
    el("div", { class: "head" },
      el("a", { class: "open-task", href: "/tasks/" + t.task_uuid + location.hash,
        title: "open the task: its graph, timeline, results and events" },
        el("code", {}, t.namespace + "/" + t.name)),
      el("span", { class: "badge s-" + t.state }, t.state),
      el("span", { class: "dim" }, t.events + " events · " + t.task_uuid.slice(-12))),
    el("div", { class: "steps" }, ...t.steps.map((s) =>
      el("span", { class: "chip s-" + s.state, title: s.state + ", attempts " + s.attempts },
        s.name + (s.attempts > 1 ? " ×" + s.attempts : "")))))));
}

function onStats(stats) {
  renderRates(stats.rates);
  renderWriter(stats.writer, stats.bus);
  renderActors(stats.actors);
  renderTasks(stats.tasks);
  $("dropped").textContent = String(stats.client ? stats.client.dropped : 0);
  $("updated").textContent = stats.at.slice(11, 19);
}

function dispatch(type, data) {
  const value = JSON.parse(data);
  if (type === "domain_event") addEvent(value);
  else if (type === "stats") onStats(value);
  else if (type === "ready") {
    setStatus("live", "live");
    const all = value.patterns.length === 1 && value.patterns[0] === "#";
    $("filter-note").textContent = all ? "showing every event" : "showing " + value.patterns.join(", ");
  }
}

async function connect(pattern, attempt) {
  if (controller) controller.abort();
  const mine = new AbortController();
  controller = mine;
  setStatus(attempt > 0 ? "reconnecting" : "connecting");
  const headers = { accept: "text/event-stream" };
  if (token) headers.authorization = "Bearer " + token;
  try {
    const response = await fetch("events/stream?pattern=" + encodeURIComponent(pattern),
      { headers, signal: mine.signal });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      const message = body.error && body.error.message || response.status + " " + response.statusText;
      if (response.status === 400) {
        $("filter-error").textContent = message;
        setStatus("invalid filter", "bad");
        return;
      }
      throw new Error(message);
    }
    $("filter-error").textContent = "";
    attempt = 0;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value.replace(/\\r\\n?/g, "\\n");
      let end;
      while ((end = buffer.indexOf("\\n\\n")) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let type = "message";
        const data = [];
        for (const line of frame.split("\\n")) {
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") type = text; else if (field === "data") data.push(text);
        }
        if (data.length > 0) dispatch(type, data.join("\\n"));
      }
    }
  } catch (error) {
    if (mine.signal.aborted) return;
    $("filter-error").textContent = "";
    setStatus("disconnected: " + (error && error.message || error), "bad");
  }
  if (mine.signal.aborted || controller !== mine) return;
  setStatus("reconnecting");
  setTimeout(() => { if (controller === mine) connect(pattern, attempt + 1); },
    Math.min(10000, 500 * 2 ** attempt));
}

$("filter").addEventListener("submit", (e) => {
  e.preventDefault();
  $("events").replaceChildren();
  $("no-events").hidden = false;
  connect($("pattern").value.trim(), 0);
});
$("pause").addEventListener("click", () => {
  paused = !paused;
  $("pause").textContent = paused ? "Resume" : "Pause";
});
$("clear").addEventListener("click", () => {
  $("events").replaceChildren();
  $("no-events").hidden = false;
});
$("pattern").value = params.get("pattern") || "";
connect($("pattern").value.trim(), 0);
`;

/**
 * The inspector page, with `nonce` on its inline style and script (the server's
 * Content-Security-Policy allows only those).
 *
 * @param nonce a fresh random value per response, base64
 * @returns the HTML document
 *
 * @example
 * ```ts
 * import { inspectorPage } from "./inspector_page.ts";
 * const html = inspectorPage("cmFuZG9t");
 * html.startsWith("<!doctype html>"); // true
 * ```
 */
export function inspectorPage(nonce: string): string {
  const n = nonce.replace(/[^A-Za-z0-9+/=]/g, "");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>deno-tasker · live inspector</title>
<style nonce="${n}">${STYLE}</style>
</head>
<body>
<header>
  <h1>deno-tasker <span>live inspector</span></h1>
  <span id="status" class="pill">connecting</span>
  <span class="meta">events <b id="received">0</b> · dropped for this page <b id="dropped">0</b>
    · updated <span id="updated">–</span></span>
</header>
<main>
  <section>
    <h2>Domain events</h2>
    <form id="filter">
      <input id="pattern" name="pattern" autocomplete="off" spellcheck="false"
        placeholder="pattern: payment.#, order.*, #.failed — empty for every event">
      <button class="primary" id="apply" type="submit">Filter</button>
      <button id="pause" type="button">Pause</button>
      <button id="clear" type="button">Clear</button>
    </form>
    <div id="filter-error" role="alert"></div>
    <div id="filter-note"></div>
    <div class="scroll">
      <table>
        <thead><tr><th>fired</th><th>event</th><th>namespace / step</th><th>fired by</th></tr></thead>
        <tbody id="events"></tbody>
      </table>
      <div id="no-events" class="empty">waiting for events…</div>
    </div>
  </section>
  <div class="side">
    <section><h2>Throughput</h2><div id="rates" class="tiles"></div></section>
    <section><h2>Durable writer &amp; bus</h2><dl id="writer"></dl></section>
    <section>
      <h2>Actors</h2>
      <table>
        <thead><tr><th>actor</th><th>mailbox</th><th>done</th><th>restarts</th><th>dropped</th>
          <th>state</th></tr></thead>
        <tbody id="actors"></tbody>
      </table>
    </section>
    <section><h2>Recent tasks</h2><div id="tasks"><div class="empty">no task has run yet</div></div>
    </section>
  </div>
</main>
<script nonce="${n}">${SCRIPT}</script>
</body>
</html>
`;
}
