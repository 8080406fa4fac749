// hwsr app: the page. No framework, no CDN: pointer events on a canvas, fetch() to the local API.
//
// Ink on the pad is kept as JSON ink in CSS pixels, y down, with time (ms from the first point)
// and pressure: strokes = [[[x, y, t, p], ...], ...].

const $ = (id) => document.getElementById(id);
const SVG_NS = "http://www.w3.org/2000/svg";
const READ_DELAY_MS = 500;     // Debounce: read the page this long after the last pen-up.
const STROKES_PER_FRAME = 2;   // Drawing speed of streamed handwriting.
const PX_PER_UNIT = 0.12;      // Display scale of written ink (IAM-OnDB units -> CSS px).

// What the tests (and the curious) can look at: window.hwsrApp.stats.
const stats = { readings: 0, strokesRead: 0, strokesReceived: 0, strokesDrawn: 0, firstStrokeMs: null, streamEndMs: null };
window.hwsrApp = { stats };

// Errors -----------------------------------------------------------------------------------

function showError(message) {
  $("error-text").textContent = message;
  $("error").hidden = false;
}

function clearError() {
  $("error").hidden = true;
  $("error-text").textContent = "";
}

$("error-close").addEventListener("click", clearError);

class ApiError extends Error {}

async function api(path, body, { signal, raw = false } = {}) {
  const init = { method: body === undefined ? "GET" : "POST", signal };
  if (body !== undefined) {
    init.body = typeof body === "string" || body instanceof Blob ? body : JSON.stringify(body);
    init.headers = { "Content-Type": "application/json" };
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError("the app's server cannot be reached (is `hwsr app` still running?)");
  }
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try { message = (await response.json()).error || message; } catch { /* not JSON */ }
    throw new ApiError(message);
  }
  return raw ? response : response.json();
}

function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// The pad ----------------------------------------------------------------------------------

const pad = $("pad");
const context = pad.getContext("2d");
let strokes = [];        // Finished strokes and the one being written.
let active = null;       // The stroke under the pen, or null.
let timeOrigin = null;   // event.timeStamp of the first point on the page.

function penWidth(pressure) {
  return 1.2 + 2.4 * (pressure || 0.5);
}

function drawSegment(a, b) {
  context.lineWidth = penWidth(b[3]);
  context.beginPath();
  context.moveTo(a[0], a[1]);
  context.lineTo(b[0], b[1]);
  context.stroke();
}

function redraw() {
  const ratio = window.devicePixelRatio || 1;
  pad.width = Math.round(pad.clientWidth * ratio);
  pad.height = Math.round(pad.clientHeight * ratio);
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.strokeStyle = "#1d2230";
  context.lineCap = context.lineJoin = "round";
  for (const stroke of strokes) {
    if (stroke.length === 1) drawSegment(stroke[0], stroke[0]);
    for (let i = 1; i < stroke.length; i++) drawSegment(stroke[i - 1], stroke[i]);
  }
}

function point(event) {
  const box = pad.getBoundingClientRect();
  if (timeOrigin === null) timeOrigin = event.timeStamp;
  const round = (v, digits) => Math.round(v * 10 ** digits) / 10 ** digits;
  return [round(event.clientX - box.left, 2), round(event.clientY - box.top, 2),
          round(event.timeStamp - timeOrigin, 1), round(event.pressure, 3)];
}

pad.addEventListener("pointerdown", (event) => {
  if (event.pointerType === "mouse" && event.button !== 0) return;
  event.preventDefault();
  try { pad.setPointerCapture(event.pointerId); } catch { /* synthetic or lost pointer */ }
  active = [point(event)];
  strokes.push(active);
  drawSegment(active[0], active[0]);
  cancelReading();
});

pad.addEventListener("pointermove", (event) => {
  if (!active) return;
  // Every sample since the last event, not only the one the frame rate let through.
  const samples = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
  for (const sample of samples.length ? samples : [event]) {
    const next = point(sample);
    drawSegment(active[active.length - 1], next);
    active.push(next);
  }
});

function penUp(event) {
  if (!active) return;
  if (event.type === "pointerup") {
    const last = point(event);
    const previous = active[active.length - 1];
    if (last[0] !== previous[0] || last[1] !== previous[1]) active.push(last);
  }
  active = null;
  scheduleReading();
}

pad.addEventListener("pointerup", penUp);
pad.addEventListener("pointercancel", penUp);
window.addEventListener("resize", redraw);

function setInk(newStrokes) {
  strokes = newStrokes;
  active = null;
  redraw();
  scheduleReading();
}

$("undo").addEventListener("click", () => setInk(strokes.slice(0, -1)));
$("clear").addEventListener("click", () => { timeOrigin = null; setInk([]); });

function inkml() {
  const traces = strokes.map((s) => `  <trace>${s.map((p) => p.join(" ")).join(", ")}</trace>`);
  return ['<?xml version="1.0" encoding="UTF-8"?>', '<ink xmlns="http://www.w3.org/2003/InkML">',
    "  <traceFormat>", '    <channel name="X" type="decimal"/>', '    <channel name="Y" type="decimal"/>',
    '    <channel name="T" type="decimal" units="ms"/>', '    <channel name="F" type="decimal"/>',
    "  </traceFormat>", ...traces, "</ink>", ""].join("\n");
}

$("export-inkml").addEventListener("click", () =>
  download(new Blob([inkml()], { type: "application/inkml+xml" }), "my-ink.inkml"));
$("export-json").addEventListener("click", () =>
  download(new Blob([JSON.stringify({ strokes })], { type: "application/json" }), "my-ink.json"));

$("open-ink").addEventListener("change", async (event) => {
  const [file] = event.target.files;
  event.target.value = "";
  if (!file) return;
  try {
    const ink = await api(`/api/import?name=${encodeURIComponent(file.name)}`, file);
    clearError();
    timeOrigin = null;
    setInk(fitToPad(ink.strokes));
  } catch (e) {
    showError(`cannot open ${file.name}: ${e.message}`);
  }
});

function fitToPad(lines) {
  const all = lines.flat();
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
  const [x0, y0] = [Math.min(...xs), Math.min(...ys)];
  const w = Math.max(...xs) - x0 || 1, h = Math.max(...ys) - y0 || 1;
  const scale = Math.min((pad.clientWidth - 40) / w, (pad.clientHeight - 40) / h);
  return lines.map((s) => s.map(([x, y]) => [(x - x0) * scale + 20, (y - y0) * scale + 20, 0, 0.5]));
}

// Reading the pad --------------------------------------------------------------------------

let readTimer = null;
let readAbort = null;

function cancelReading() {
  clearTimeout(readTimer);
  if (readAbort) readAbort.abort();
  readAbort = null;
}

function scheduleReading() {
  cancelReading();
  readTimer = setTimeout(readPad, READ_DELAY_MS);
}

async function readPad() {
  if (!strokes.length) {
    stats.strokesRead = 0;
    $("readings").replaceChildren();
    $("read-status").textContent = "";
    return;
  }
  readAbort = new AbortController();
  $("read-status").textContent = "reading…";
  const sent = strokes.length;
  try {
    const result = await api("/api/recognize", { strokes }, { signal: readAbort.signal });
    showReadings(result.lines);
    stats.readings += 1;
    stats.strokesRead = sent;
    $("read-status").textContent = `${result.lines.length} line${result.lines.length === 1 ? "" : "s"} read`;
    clearError();
  } catch (e) {
    if (e.name === "AbortError") return;
    $("read-status").textContent = "";
    showError(e.message);
  }
}

function showReadings(lines) {
  const items = lines.map((line, i) => {
    const li = document.createElement("li");
    const best = Object.assign(document.createElement("span"), { className: "best", textContent: line.text });
    li.append(best);
    for (const candidate of line.candidates) {
      const chip = Object.assign(document.createElement("button"), {
        type: "button", className: "candidate", textContent: candidate.text || "(nothing)",
        title: `log P = ${candidate.score}`,
      });
      chip.setAttribute("aria-pressed", String(candidate.text === line.text));
      chip.addEventListener("click", () => {
        best.textContent = candidate.text;
        for (const other of li.querySelectorAll(".candidate")) other.setAttribute("aria-pressed", "false");
        chip.setAttribute("aria-pressed", "true");
        if (i === 0) $("prime-text").value = candidate.text;
      });
      li.append(chip);
    }
    return li;
  });
  $("readings").replaceChildren(...items);
  if (lines.length && !$("prime-text").dataset.typed) $("prime-text").value = lines[0].text;
}

// Writing ----------------------------------------------------------------------------------

const ink = $("ink");
const inkStrokes = $("ink-strokes");
let written = { lines: [], texts: [] };
let queue = [];
let bounds = null;
let writeAbort = null;

function applyPen() {
  inkStrokes.setAttribute("stroke", $("color").value);
  inkStrokes.setAttribute("stroke-width", $("stroke-width").value);
}

function smoothPath(points) {
  // Quadratic curves through the midpoints, as hwsr.render.to_svg draws them.
  const f = (v) => v.toFixed(1);
  if (points.length === 1) return `M${f(points[0][0])},${f(points[0][1])} l0.01,0`;
  const parts = [`M${f(points[0][0])},${f(points[0][1])}`];
  for (let i = 1; i < points.length - 1; i++) {
    const mid = [(points[i][0] + points[i + 1][0]) / 2, (points[i][1] + points[i + 1][1]) / 2];
    parts.push(`Q${f(points[i][0])},${f(points[i][1])} ${f(mid[0])},${f(mid[1])}`);
  }
  const last = points[points.length - 1];
  parts.push(`L${f(last[0])},${f(last[1])}`);
  return parts.join(" ");
}

function drawQueued() {
  for (let n = 0; n < STROKES_PER_FRAME && queue.length; n++) {
    const points = queue.shift();
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", smoothPath(points));
    path.setAttribute("vector-effect", "non-scaling-stroke");
    inkStrokes.append(path);
    for (const [x, y] of points) {
      bounds = bounds ? [Math.min(bounds[0], x), Math.min(bounds[1], y), Math.max(bounds[2], x),
                         Math.max(bounds[3], y)] : [x, y, x, y];
    }
    const m = 40;
    const [x0, y0, w, h] = [bounds[0] - m, bounds[1] - m, bounds[2] - bounds[0] + 2 * m, bounds[3] - bounds[1] + 2 * m];
    ink.setAttribute("viewBox", `${x0} ${y0} ${w} ${h}`);
    ink.setAttribute("width", Math.round(w * PX_PER_UNIT));
    ink.setAttribute("height", Math.round(h * PX_PER_UNIT));
    stats.strokesDrawn += 1;
    if (stats.firstStrokeMs === null) stats.firstStrokeMs = performance.now();
  }
  if (queue.length) requestAnimationFrame(drawQueued);
}

function enqueue(points) {
  queue.push(points);
  stats.strokesReceived += 1;
  if (queue.length === 1) requestAnimationFrame(drawQueued);
}

function resetOutput() {
  queue = [];
  bounds = null;
  written = { lines: [], texts: [] };
  inkStrokes.replaceChildren();
  Object.assign(stats, { strokesReceived: 0, strokesDrawn: 0, firstStrokeMs: null, streamEndMs: null });
  for (const id of ["download-svg", "download-png", "download-inkml"]) $(id).disabled = true;
}

function generationRequest() {
  const body = {
    text: $("text").value,
    bias: Number($("bias").value),
    seed: Number($("seed").value || 0),
  };
  const style = $("style").value;
  if (style === "mine") {
    if (!strokes.length) throw new ApiError("write one line on the canvas first, to write in your hand");
    body.prime = { strokes, text: $("prime-text").value };
  } else {
    body.style = style === "free" ? "free" : Number(style);
  }
  return body;
}

function handleEvent(event) {
  if (event.type === "start") {
    written.texts = event.lines;
  } else if (event.type === "line") {
    written.lines[event.index] = event.strokes;
    $("write-status").textContent = `writing line ${event.index + 1} of ${written.texts.length}…`;
  } else if (event.type === "stroke") {
    enqueue(event.points);
  } else if (event.type === "done") {
    $("write-status").textContent = `written in ${event.seconds.toFixed(1)} s`;
  } else if (event.type === "error") {
    throw new ApiError(event.message);
  }
}

async function write() {
  if (writeAbort) writeAbort.abort();
  writeAbort = new AbortController();
  resetOutput();
  $("write-status").textContent = "writing…";
  try {
    const response = await api("/api/generate", generationRequest(), { signal: writeAbort.signal, raw: true });
    clearError();
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffered = "";
    for (;;) {
      const { value, done } = await reader.read();
      buffered += decoder.decode(value || new Uint8Array(), { stream: !done });
      const lines = buffered.split("\n");
      buffered = lines.pop();
      for (const line of lines) if (line.trim()) handleEvent(JSON.parse(line));
      if (done) break;
    }
    stats.streamEndMs = performance.now();
    const ok = written.lines.length > 0;
    for (const id of ["download-svg", "download-png", "download-inkml"]) $(id).disabled = !ok;
  } catch (e) {
    if (e.name === "AbortError") return;
    $("write-status").textContent = "";
    showError(e.message);
  }
}

$("write-button").addEventListener("click", write);
$("text").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) write(); });
$("bias").addEventListener("input", () => { $("bias-value").textContent = Number($("bias").value).toFixed(1); });
$("color").addEventListener("input", applyPen);
$("stroke-width").addEventListener("input", applyPen);
$("style").addEventListener("change", () => { $("prime-row").hidden = $("style").value !== "mine"; });
$("prime-text").addEventListener("input", () => { $("prime-text").dataset.typed = "1"; });

async function downloadWritten(fmt) {
  try {
    const body = { lines: written.lines, text: written.texts.join("\n"),
                   stroke_width: Number($("stroke-width").value), color: $("color").value };
    const response = await api(`/api/export/${fmt}`, body, { raw: true });
    download(await response.blob(), `handwriting.${fmt}`);
  } catch (e) {
    showError(e.message);
  }
}

for (const fmt of ["svg", "png", "inkml"]) $(`download-${fmt}`).addEventListener("click", () => downloadWritten(fmt));

// Start ------------------------------------------------------------------------------------

async function start() {
  redraw();
  applyPen();
  try {
    const info = await api("/api/info");
    const mine = $("style").querySelector('option[value="mine"]');
    for (const id of info.styles) {
      const label = id === info.default_style ? `style ${id} (default)` : `style ${id}`;
      mine.before(Object.assign(document.createElement("option"), { value: String(id), textContent: label }));
    }
    if (info.default_style !== null) $("style").value = String(info.default_style);
    $("bias").value = info.default_bias;
    $("bias-value").textContent = Number(info.default_bias).toFixed(1);
    const l = info.limits;
    $("limits").textContent = `Limits: ${l.max_text_length} characters of text, ${l.max_lines} lines, ` +
      `${l.max_points} points a line, ${l.max_concurrent} generations at once.`;
    document.body.dataset.ready = "1";
  } catch (e) {
    showError(e.message);
  }
}

start();
