// The playground page: one state object, kept in the URL (state.js), its data and landscapes
// from the server's JSON API (api.js: /api/config, /api/data, /api/upload, /api/landscape,
// /api/orders, and /api/fit, /api/runs for what the page does not fit itself), its fits
// by the server while it is idle, else computed here (descent.js on Web Workers), drawn on
// canvases (draw.js, plot.js) and played (player.js); the 2-D view is plane.js's. This module
// holds the state and wires the controls.
// Tests and the bench read window.playground.

import { api, fitIfIdle, ordersFor, requesting } from "./api.js";
import { compiled, lossesOf, stride } from "./descent.js";
import { drawScene, fmt, LABELS, LOSSES, landFrames, points } from "./draw.js";
import { Plane } from "./plane.js";
import { Player } from "./player.js";
import { heatImage } from "./plot.js";
import { clone, fromQuery, toQuery, trainSpec } from "./state.js";

// logitlab/viz/style.py's colours (data, truth, mle, bce, mse), from /api/config.
let COLORS = null;
const FRAMES = 200; // trajectory points asked of the server per fit

const $ = (id) => document.getElementById(id);

// draws: what each redraw showed ({stale, busy, fits, data}), for the tests of honest display;
// firstData, firstDraw: when the data, then data and fit, were first painted (ms since navigation)
const pg = { state: null, result: null, redraws: [], draws: [], firstData: null, firstDraw: null, config: null };
window.playground = pg;

let defaults = null; // the lecture's state, from /api/config
let data = null; // the /api/data (or /api/upload) answer on screen
let land = null; // the /api/landscape answer on screen, with its heat images
let view = null; // the landscape window {w0: [lo, hi], w1: [lo, hi]}
let fitting = false; // one /api/fit or run at a time; later changes wait for it
let fitDirty = false; // the state changed while a fit was under way
let pendingSince = null; // when the first input not yet drawn happened (ms since navigation)
let painting = false; // a redraw measurement waits for its frame
let run = null; // the long run under way: {id, source}
let plane = null; // the 2-D view (plane.js)
let dataKey = ""; // the data spec last asked for
let dataShownKey = ""; // the data spec whose points are on screen
let waitingData = false; // a fit waits for the data on screen to be the state's
let shownKey = ""; // the fit request whose answer is on screen
const computers = []; // the Web Workers running descent.js, one per loss
let computeId = 0;
const computing = new Map(); // id -> the promise's {resolve, reject}

const player = new Player(() => points(shownFits()), drawAll);

Object.defineProperty(pg, "busy", {
  get: () => requesting() || fitting || fitDirty || waitingData || painting || run !== null,
});

// ---------- the state, the URL and the controls ----------

const sig3 = (v) => Number(v.toPrecision(3));

function saveUrl() {
  const query = [toQuery(pg.state), plane.query()].filter(Boolean).join("&");
  history.replaceState(null, "", `${location.pathname}?${query}`);
  const link = `${pg.config.share ?? `${location.origin}/`}?${query}`;
  for (const anchor of document.querySelectorAll(".share-link")) {
    anchor.href = link;
    anchor.textContent = link;
  }
}

function fillFeatures(set) {
  $("feature").replaceChildren(...set.features.map((f) => new Option(f, f)));
  $("dataset-about").textContent = `${set.description.replace(/\.$/, "")}; target: ${set.target}.`;
}

/** Write the state into every control (after a shared URL, a reset or an upload). */
function showState() {
  const { data: d, train: t } = pg.state;
  $("source").value = d.source;
  for (const s of ["simulate", "dataset", "inline"]) $(`${s}-fields`).hidden = d.source !== s;
  const sim = d.source === "simulate" ? d : defaults.data;
  for (const k of ["n", "w0", "w1", "seed"]) $(k).value = sim[k];
  if (d.source === "dataset") {
    $("dataset").value = d.name;
    fillFeatures(pg.config.datasets.find((s) => s.name === d.name));
    $("feature").value = d.feature;
  }
  $("loss").value = t.loss;
  $("optimizer").value = t.optimizer;
  $("lr").value = Math.log10(t.lr);
  $("lr-value").textContent = String(t.lr);
  $("epochs").value = t.epochs;
  $("batch").value = t.batch_size ?? "";
  showStart();
  $("momentum").value = t.momentum;
  $("nesterov").checked = t.nesterov;
  $("beta1").value = t.betas[0];
  $("beta2").value = t.betas[1];
  $("shuffle").value = t.shuffle_seed;
}

function showStart() {
  const start = pg.state.train.start;
  $("start-w0").value = start ? start[0] : "";
  $("start-w1").value = start ? start[1] : "";
}

// ---------- talking to the server ----------

function showError(message) {
  $("alert-text").textContent = message;
  $("alert").hidden = false;
  pendingSince = null;
}

function clearError() {
  $("alert").hidden = true;
  $("alert-text").textContent = "";
}

function status(text) {
  $("status").textContent = text;
}

function markInput(event) {
  if (pendingSince === null) pendingSince = event?.timeStamp ?? performance.now();
}

/** Record the time from the first undrawn input to the repaint of what was just drawn. */
function measureRedraw() {
  if (pendingSince === null) return;
  const since = pendingSince;
  pendingSince = null;
  painting = true;
  requestAnimationFrame(() =>
    setTimeout(() => {
      pg.redraws.push(performance.now() - since);
      painting = false;
    }, 0),
  );
}

function dataChanged(event, { newSource = false } = {}) {
  markInput(event);
  if (newSource) {
    pg.state.train.start = null;
    showStart();
    view = null;
  }
  saveUrl();
  loadData();
  requestFit();
}

function trainChanged(event) {
  markInput(event);
  saveUrl();
  requestFit();
}

async function loadData() {
  const spec = pg.state.data;
  const key = JSON.stringify(spec);
  dataKey = key;
  try {
    const body = await api("/api/data", spec);
    if (dataKey === key) showData(body, key);
  } catch (error) {
    if (dataKey === key) showError(error.message);
  }
}

function showData(body, key) {
  data = body;
  data.x32 = Float32Array.from(body.x);
  data.y32 = Float32Array.from(body.y);
  dataShownKey = key;
  const ones = body.y.reduce((a, b) => a + b, 0);
  $("data-summary").textContent =
    `${body.n.toLocaleString("en")} points, ${ones.toLocaleString("en")} with ` +
    `${body.target} = 1; feature ${body.feature} from ${fmt(body.xrange[0], 3)} to ` +
    `${fmt(body.xrange[1], 3)}.`;
  $("mle-note").textContent = body.mle ? "" : `No MLE: ${body.mle_note}`;
  $("row-truth").classList.toggle("off", !body.truth);
  for (const item of document.querySelectorAll(".if-truth")) item.hidden = !body.truth;
  view = null;
  updateView();
  drawAll();
  requestAnimationFrame(() => (pg.firstData ??= performance.now()));
  firstDrawn();
  if (waitingData) {
    waitingData = false;
    requestFit();
  }
}

/** The landscape window: the lecture's for its simulation, else around the MLE; widened to
 * hold the truth, the MLE, the start and the ends of the fits on screen. */
function updateView() {
  if (!data) return;
  let next = view ? clone(view) : null;
  if (!next) {
    const m = data.mle;
    next = { w0: [...pg.config.defaults.w0], w1: [...pg.config.defaults.w1] };
    if (pg.state.data.source !== "simulate" && m) {
      const h0 = Math.max(1, 8 * m.se_w0);
      const h1 = Math.max(1, 8 * m.se_w1);
      next = { w0: [m.w0 - h0, m.w0 + h0], w1: [m.w1 - h1, m.w1 + h1] };
    }
  }
  const points = [];
  if (data.truth) points.push([data.truth.w0, data.truth.w1]);
  if (data.mle) points.push([data.mle.w0, data.mle.w1]);
  if (pg.state.train.start) points.push(pg.state.train.start);
  for (const f of Object.values(shownFits())) {
    const tr = f.trajectory;
    points.push([tr.w0[0], tr.w1[0]], [f.w0, f.w1]);
  }
  for (const p of points.filter((p) => p.every(Number.isFinite))) {
    for (const k of [0, 1]) {
      const axis = k ? next.w1 : next.w0;
      const pad = 0.1 * (axis[1] - axis[0]);
      if (p[k] < axis[0]) axis[0] = p[k] - pad;
      if (p[k] > axis[1]) axis[1] = p[k] + pad;
    }
  }
  const edge = pg.config.limits.max_window ?? Infinity;
  const round = (v) => Number(Math.max(-edge, Math.min(edge, v)).toFixed(2));
  next = { w0: next.w0.map(round), w1: next.w1.map(round) };
  if (JSON.stringify(next) !== JSON.stringify(view)) {
    view = next;
    loadLandscape();
  }
}

/** The landscape's grid: the default, coarser when the data are so many that a landscape
 * (grid² × n × 2 losses) would pass the server's work bound. */
function gridSize() {
  const { max_landscape_work: landscape, max_work: fit } = pg.config.limits;
  const work = landscape ?? fit;
  return Math.max(3, Math.min(pg.config.defaults.grid, Math.floor(Math.sqrt(work / (2 * (data?.n ?? 1))))));
}

async function loadLandscape() {
  const body = { data: pg.state.data, grid: gridSize(), ...view };
  const key = JSON.stringify(body);
  land = land && land.key === key ? land : { ...(land ?? {}), key, pending: true };
  try {
    const answer = await api("/api/landscape", body);
    if (land.key !== key) return;
    land = { ...answer, key, images: { bce: heatImage(answer.bce), mse: heatImage(answer.mse) } };
    drawAll();
  } catch (error) {
    if (land.key === key) showError(error.message);
  }
}

/** A fit's point-epochs as the server counts them (Limits.fit_work). */
function work(body) {
  const d = body.data;
  const n = d.source === "simulate" ? d.n : d.source === "inline" ? d.x.length : (data?.n ?? 0);
  const { batch_size: batch, epochs, loss } = body.train;
  const { step_work: step, shuffled_point_work: point } = pg.config.limits;
  const epoch = batch == null ? n : n * point + Math.ceil(n / batch) * step;
  return epoch * epochs * (loss === "both" ? 2 : 1);
}

/** Fit the current state when it is no longer than one request may be: by the server if it is
 * idle (its ~30 ms fit), else in this page (descent.js on Web Workers), so a class never
 * queues (the lecture's fit, which the server keeps, is always the server's); else a streamed
 * run on the server. One at a time: changes made meanwhile are fitted next, once. A fit that
 * diverges here, or that this browser cannot compute (no relaxed SIMD), waits for the server,
 * which says why in the package's words. */
async function requestFit() {
  if (run) cancelRun();
  if (fitting) {
    fitDirty = true;
    return;
  }
  const body = { data: pg.state.data, train: trainSpec(pg.state.train), frames: FRAMES };
  const key = JSON.stringify(body);
  if (key === shownKey) {
    measureRedraw(); // nothing changed: what is on screen is this state's fit
    return;
  }
  drawAll(); // the fit on screen is not this state's: hidden until the new one comes
  if (work(body) > pg.config.limits.max_work) {
    startRun(body, key);
    return;
  }
  if (dataShownKey !== JSON.stringify(pg.state.data)) {
    waitingData = true; // fitted once the state's data are on screen
    return;
  }
  fitting = true;
  status("Fitting…");
  try {
    const kept = key === lectureKey(); // the fit every page opens on: the server keeps it
    const unqueued = kept ? null : ((await fitIfIdle(body)) ?? (await fitInPage(pg.state.train)));
    const answer = unqueued ?? (await api("/api/fit", body)); // queued on the server
    showFit(answer, key);
  } catch (error) {
    showError(error.message);
    status("No fit is shown: these settings did not give one.");
  } finally {
    fitting = false;
    if (fitDirty) {
      fitDirty = false;
      requestFit();
    }
  }
}

/** The state's fit computed in this page; null when a loss diverged, when its mini-batch
 * orders would be more than the server hands out (max_order_values), or when this browser
 * cannot compile the module. */
async function fitInPage(train) {
  if (!(await compiled().then(() => true, () => false))) return null;
  let orders = null;
  if (train.batch_size != null && train.batch_size < data.n) {
    if (data.n * train.epochs > pg.config.limits.max_order_values) return null;
    orders = await ordersFor(data.n, train.epochs, train.shuffle_seed);
  }
  const began = performance.now();
  const { x32: x, y32: y } = data;
  const every = stride(train.epochs, FRAMES);
  const start = pg.config.descent.start;
  const losses = lossesOf(train.loss);
  const spec = { ...pg.config.defaults.train, ...train }; // as /api/fit reads it: Adam's eps
  const fits = await Promise.all(
    losses.map((loss, i) => compute(i, { x, y, train: spec, loss, every, start, orders })),
  );
  if (fits.includes(null)) return null;
  const answer = { fits: Object.fromEntries(losses.map((loss, i) => [loss, fits[i]])), mle: data.mle };
  return { ...answer, seconds: (performance.now() - began) / 1000 };
}

/** One loss's fit on Web Worker `i` -> its record (null: diverged). */
function compute(i, message) {
  if (!computers[i]) {
    computers[i] = new Worker("/static/descent-worker.js", { type: "module" });
    computers[i].postMessage({ constants: pg.config.descent });
    computers[i].onmessage = ({ data: m }) => {
      const pending = computing.get(m.id);
      if (m.error) pending.reject(new Error(`the page's fit failed: ${m.error}`));
      else pending.resolve(m.fit);
      computing.delete(m.id);
    };
    computers[i].onerror = (event) => {
      for (const pending of computing.values()) pending.reject(new Error(`the page's fit failed: ${event.message}`));
      computing.clear();
    };
  }
  return new Promise((resolve, reject) => {
    computing.set(++computeId, { resolve, reject });
    computers[i].postMessage({ id: computeId, ...message });
  });
}

/** The fit request of the lecture's settings. */
function lectureKey() {
  return JSON.stringify({ data: defaults.data, train: trainSpec(defaults.train), frames: FRAMES });
}

function currentKey() {
  const body = { data: pg.state.data, train: trainSpec(pg.state.train), frames: FRAMES };
  return JSON.stringify(body);
}

/** Whether the fit on screen is this state's, on the data on screen. */
function fresh() {
  return shownKey === currentKey() && dataShownKey === JSON.stringify(pg.state.data);
}

/** The fits to draw: the state's own, else none (a fit is never drawn over other data or
 * settings; the busy sign says one is coming). */
function shownFits() {
  return fresh() ? (pg.result?.fits ?? {}) : {};
}

function showFit(answer, key) {
  pg.result = answer;
  shownKey = key;
  player.pause();
  player.frame = points(shownFits()) - 1;
  $("frame").max = String(player.frame);
  const fits = Object.values(answer.fits);
  const epochs = fits[0]?.epochs ?? 0;
  const where = fits[0]?.engine === "page"
    ? "in this page (the fused engine's descent, in WebAssembly)"
    : `on the server (${fits[0]?.engine} engine)`;
  status(`${epochs.toLocaleString("en")} epochs of ${fits.map((f) => LABELS[f.loss]).join(" and ")} ` +
    `fitted in ${(answer.seconds * 1000).toFixed(0)} ms ${where}.`);
  updateView();
  drawAll();
  if (key === currentKey() && !fitDirty) measureRedraw();
  firstDrawn();
}

/** Once the data and a fit are both on screen: when that was painted (ms since navigation). */
function firstDrawn() {
  if (pg.firstDraw !== null || !data || !pg.result) return;
  painting = true;
  requestAnimationFrame(() =>
    setTimeout(() => {
      pg.firstDraw ??= performance.now();
      painting = false;
    }, 0),
  );
}

async function startRun(body, key) {
  fitting = true;
  try {
    const answer = await api("/api/runs", body);
    const source = new EventSource(answer.events);
    run = { id: answer.id, source };
    $("run").hidden = false;
    $("run-progress").value = 0;
    $("run-text").textContent = "starting…";
    status(`More than one request may compute (${work(body).toExponential(1)} point-epochs): ` +
      "running it on the server, streaming its progress.");
    source.addEventListener("progress", (event) => {
      const p = JSON.parse(event.data);
      $("run-progress").value = p.epoch / p.epochs;
      const params = Object.entries(p.params ?? {})
        .map(([loss, [w0, w1]]) => `${LABELS[loss]} (${fmt(w0, 3)}, ${fmt(w1, 3)})`)
        .join(", ");
      $("run-text").textContent = `epoch ${p.epoch.toLocaleString("en")} of ` +
        `${p.epochs.toLocaleString("en")} ${params}`;
    });
    source.addEventListener("done", (event) => {
      endRun();
      showFit(JSON.parse(event.data), key);
    });
    source.addEventListener("cancelled", (event) => {
      endRun();
      status(`Run cancelled at epoch ${JSON.parse(event.data).epoch.toLocaleString("en")}.`);
    });
    source.addEventListener("error", (event) => {
      const message = event.data ? JSON.parse(event.data).error : "lost the connection to the run";
      if (run?.source === source) {
        endRun();
        showError(message);
      }
    });
  } catch (error) {
    showError(error.message);
  } finally {
    fitting = false;
  }
}

function endRun() {
  run?.source.close();
  run = null;
  $("run").hidden = true;
}

/** Stop the run under way; `wait` keeps its events until the server says where it stopped. */
function cancelRun({ wait = false } = {}) {
  if (!run) return;
  const { id } = run;
  if (wait) $("run-text").textContent = "cancelling…";
  else endRun();
  api(`/api/runs/${id}`, undefined, "DELETE").catch((error) => showError(error.message));
}

async function upload(file) {
  clearError();
  const limit = pg.config.limits.max_upload_bytes;
  if (file.size > limit) {
    showError(`the upload is ${mb(file.size)}; the limit is ${mb(limit)}`);
    return;
  }
  const form = new FormData();
  form.append("file", file);
  try {
    const body = await api("/api/upload", form);
    pg.state.data = body.data;
    pg.state.train.start = null;
    showState();
    view = null;
    saveUrl();
    showData(body, JSON.stringify(pg.state.data));
    requestFit();
  } catch (error) {
    showError(`${file.name}: ${error.message}`);
  }
}

// ---------- drawing ----------

const mb = (bytes) => `${Number((bytes / 1e6).toPrecision(2))} MB`;

function drawAll() {
  const stale = !fresh();
  const busy = stale && $("alert").hidden;
  $("busy").hidden = !busy;
  $("fit-chart").closest(".charts").setAttribute("aria-busy", String(busy));
  pg.draws.push({ stale, busy, fits: Object.keys(shownFits()).length, data: dataShownKey });
  if (pg.draws.length > 500) pg.draws.shift();
  drawScene({
    data,
    land,
    view: view ?? pg.config.defaults,
    fits: shownFits(),
    frame: player.frame,
    start: pg.state.train.start ?? firstPoint(),
    mle: data?.mle ?? pg.result?.mle ?? null,
    colors: COLORS,
  });
}

/** The start of the fits on screen (the lecture net's when no start is set). */
function firstPoint() {
  const fit = Object.values(shownFits())[0];
  return fit ? [fit.trajectory.w0[0], fit.trajectory.w1[0]] : null;
}

// ---------- wiring ----------

function setStart(point, event) {
  pg.state.train.start = point.map((v) => Number(v.toFixed(2)));
  showStart();
  updateView();
  trainChanged(event);
}

function landscapeEvents(loss) {
  const canvas = $(`${loss}-land`);
  canvas.addEventListener("click", (event) => {
    const f = landFrames[loss];
    if (f?.contains(event.offsetX, event.offsetY)) setStart(f.invert(event.offsetX, event.offsetY), event);
  });
  canvas.addEventListener("keydown", (event) => {
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    const move = moves[event.key];
    const f = landFrames[loss];
    if (!move || !f) return;
    event.preventDefault();
    const from = pg.state.train.start ?? firstPoint() ?? [0, 0];
    const k = event.shiftKey ? 0.1 : 0.025;
    setStart([from[0] + move[0] * k * (f.xlim[1] - f.xlim[0]), from[1] + move[1] * k * (f.ylim[1] - f.ylim[0])], event);
  });
}

function wire() {
  const on = (id, type, handler) => $(id).addEventListener(type, handler);
  on("alert-close", "click", clearError);
  on("source", "change", (event) => {
    const source = event.target.value;
    for (const s of ["simulate", "dataset", "inline"]) $(`${s}-fields`).hidden = source !== s;
    if (source === "inline") {
      $("file").focus();
      return; // waits for a file
    }
    if (source === "simulate") pg.state.data = clone(defaults.data);
    else {
      const set = pg.config.datasets.find((s) => s.name === $("dataset").value) ?? pg.config.datasets[0];
      pg.state.data = { source: "dataset", name: set.name, feature: set.feature };
    }
    showState();
    dataChanged(event, { newSource: true });
  });
  for (const k of ["n", "seed", "w0", "w1"]) {
    on(k, "change", (event) => {
      pg.state.data[k] = event.target.value === "" ? null : Number(event.target.value);
      dataChanged(event);
    });
  }
  on("dataset", "change", (event) => {
    const set = pg.config.datasets.find((s) => s.name === event.target.value);
    pg.state.data = { source: "dataset", name: set.name, feature: set.feature };
    showState();
    dataChanged(event, { newSource: true });
  });
  on("feature", "change", (event) => {
    pg.state.data.feature = event.target.value;
    dataChanged(event, { newSource: true });
  });
  on("file", "change", (event) => {
    if (event.target.files[0]) upload(event.target.files[0]);
  });
  for (const k of ["loss", "optimizer"]) {
    on(k, "change", (event) => {
      pg.state.train[k] = event.target.value;
      trainChanged(event);
    });
  }
  on("lr", "input", (event) => {
    pg.state.train.lr = sig3(10 ** Number(event.target.value));
    $("lr-value").textContent = String(pg.state.train.lr);
    trainChanged(event);
  });
  const numberField = (id, field, empty) =>
    on(id, "change", (event) => {
      const v = event.target.value;
      pg.state.train[field] = v === "" ? empty : Number(v);
      trainChanged(event);
    });
  numberField("epochs", "epochs", null);
  numberField("batch", "batch_size", null);
  numberField("momentum", "momentum", null);
  numberField("shuffle", "shuffle_seed", 0);
  on("nesterov", "change", (event) => {
    pg.state.train.nesterov = event.target.checked;
    trainChanged(event);
  });
  for (const [id, k] of [["beta1", 0], ["beta2", 1]]) {
    on(id, "change", (event) => {
      pg.state.train.betas[k] = Number(event.target.value);
      trainChanged(event);
    });
  }
  for (const [id, k] of [["start-w0", 0], ["start-w1", 1]]) {
    on(id, "change", (event) => {
      const v = event.target.value;
      if (v === "") {
        pg.state.train.start = null;
        showStart();
        trainChanged(event);
        return;
      }
      const point = [...(pg.state.train.start ?? firstPoint() ?? [0, 0])];
      point[k] = Number(v);
      setStart(point, event);
    });
  }
  on("start-lecture", "click", (event) => {
    pg.state.train.start = null;
    showStart();
    trainChanged(event);
  });
  for (const loss of LOSSES) landscapeEvents(loss);
  on("play", "click", () => player.play());
  on("pause", "click", () => player.pause());
  on("step", "click", () => player.showFrame(player.frame + 1));
  on("reset", "click", () => player.showFrame(0));
  on("frame", "input", (event) => player.showFrame(Number(event.target.value)));
  on("run-cancel", "click", () => cancelRun({ wait: true }));
  on("copy-link", "click", async () => {
    try {
      await navigator.clipboard.writeText($("share-link").href);
      $("share-status").textContent = "Link copied.";
    } catch {
      $("share-status").textContent = "Copy the address above.";
    }
  });
  on("reset-lecture", "click", (event) => {
    clearError();
    pg.state = clone(defaults);
    showState();
    dataChanged(event, { newSource: true });
  });
  document.addEventListener("dragover", (event) => {
    event.preventDefault();
    document.body.classList.add("dropping");
  });
  document.addEventListener("dragleave", () => document.body.classList.remove("dropping"));
  document.addEventListener("drop", (event) => {
    event.preventDefault();
    document.body.classList.remove("dropping");
    const file = event.dataTransfer?.files?.[0];
    if (file) upload(file);
  });
  let queued = false;
  new ResizeObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      drawAll();
    });
  }).observe($("fit-chart").closest(".charts"));
}

async function start() {
  try {
    pg.config = await api("/api/config");
  } catch (error) {
    showError(error.message);
    return;
  }
  defaults = { data: clone(pg.config.defaults.data), train: clone(pg.config.defaults.train) };
  COLORS = pg.config.colors;
  for (const [name, color] of Object.entries(COLORS)) {
    document.documentElement.style.setProperty(`--${name}`, color);
  }
  $("dataset").replaceChildren(...pg.config.datasets.map((s) => new Option(s.name, s.name)));
  if (pg.config.datasets[0]) fillFeatures(pg.config.datasets[0]);
  $("upload-limit").textContent = `at most ${mb(pg.config.limits.max_upload_bytes)}`;
  $("n").max = pg.config.limits.max_n;
  $("epochs").max = pg.config.limits.max_epochs;
  const { state, problems } = fromQuery(location.search, defaults, pg.config);
  pg.state = state;
  showState();
  pg.plane = plane = new Plane(pg.config, { saved: saveUrl, error: showError });
  problems.push(...plane.load(location.search));
  if (problems.length) showError(`The link's settings: ${problems.join("; ")}.`);
  wire();
  saveUrl();
  drawAll();
  loadData();
  requestFit();
}

start();
