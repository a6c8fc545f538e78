// The playground page: one state object, kept in the URL, sent to the server's JSON API
// (/api/config, /api/data, /api/upload, /api/landscape, /api/fit, /api/runs); the answers are
// drawn on canvases (plot.js). Tests and the bench read window.playground.

import { lossesOf, splitOrders, stride } from "./descent.js";
import { Frame, fitCanvas, heatImage, marker } from "./plot.js";

// logitlab/viz/style.py's colours (data, truth, mle, bce, mse), from /api/config.
let COLORS = null;
const LOSSES = ["bce", "mse"];
const LABELS = { bce: "BCE", mse: "MSE" };
const FRAMES = 200; // trajectory points asked of the server per fit
const PLAY_MS = 4000; // a whole descent plays in this long
const CONTOUR = "rgba(40, 48, 60, 0.55)";

const $ = (id) => document.getElementById(id);

// draws: what each redraw showed ({stale, busy, fits, data}), for the tests of honest display;
// firstData, firstDraw: when the data, then data and fit, were first painted (ms since navigation)
const pg = { state: null, result: null, redraws: [], draws: [], firstData: null, firstDraw: null, config: null };
window.playground = pg;

let defaults = null; // the lecture's state, from /api/config
let data = null; // the /api/data (or /api/upload) answer on screen
let land = null; // the /api/landscape answer on screen, with its heat images
let view = null; // the landscape window {w0: [lo, hi], w1: [lo, hi]}
let frame = 0; // index into the trajectories on screen
let playing = false;
let playStart = 0;
let inflight = 0; // requests under way
let fitting = false; // one /api/fit or run at a time; later changes wait for it
let fitDirty = false; // the state changed while a fit was under way
let pendingSince = null; // when the first input not yet drawn happened (ms since navigation)
let painting = false; // a redraw measurement waits for its frame
let run = null; // the long run under way: {id, source}
let dataKey = ""; // the data spec last asked for
let dataShownKey = ""; // the data spec whose points are on screen
let waitingData = false; // a fit waits for the data on screen to be the state's
let shownKey = ""; // the fit request whose answer is on screen
const computers = []; // the Web Workers running descent.js, one per loss
let computeId = 0;
const computing = new Map(); // id -> the promise's {resolve, reject}
const orderCache = new Map(); // "n,epochs,seed" -> the mini-batch orders
const landFrames = {}; // loss -> the Frame of its landscape, to map clicks back to (w0, w1)

Object.defineProperty(pg, "busy", {
  get: () => inflight > 0 || fitting || fitDirty || waitingData || painting || run !== null,
});

// ---------- the state, the URL and the controls ----------

const clone = (value) => JSON.parse(JSON.stringify(value));
const sig3 = (v) => Number(v.toPrecision(3));

/** The TrainSpec sent to the server: only the settings the chosen optimizer and batching use. */
function trainSpec(t) {
  const spec = {
    loss: t.loss,
    optimizer: t.optimizer,
    lr: t.lr,
    epochs: t.epochs,
    batch_size: t.batch_size,
    start: t.start,
  };
  if (t.optimizer === "momentum") Object.assign(spec, { momentum: t.momentum, nesterov: t.nesterov });
  if (t.optimizer === "adam") spec.betas = t.betas;
  if (t.batch_size != null) spec.shuffle_seed = t.shuffle_seed;
  return spec;
}

function toQuery(state) {
  const q = new URLSearchParams();
  const d = state.data;
  q.set("data", d.source);
  if (d.source === "simulate") for (const k of ["n", "w0", "w1", "seed"]) q.set(k, d[k]);
  if (d.source === "dataset") {
    q.set("dataset", d.name);
    q.set("feature", d.feature);
  }
  const t = state.train;
  q.set("loss", t.loss);
  q.set("optimizer", t.optimizer);
  q.set("lr", t.lr);
  q.set("epochs", t.epochs);
  q.set("batch", t.batch_size ?? "full");
  q.set("start", t.start ? t.start.join(",") : "lecture");
  if (t.optimizer === "momentum") {
    q.set("momentum", t.momentum);
    q.set("nesterov", t.nesterov ? 1 : 0);
  }
  if (t.optimizer === "adam") q.set("betas", t.betas.join(","));
  if (t.batch_size != null) q.set("shuffle", t.shuffle_seed);
  return q.toString();
}

/** The state a query string describes (defaults for what it leaves out) and what it got wrong. */
function fromQuery(search) {
  const q = new URLSearchParams(search);
  const state = clone(defaults);
  const problems = [];
  const number = (key, target, field, integer = false) => {
    if (!q.has(key)) return;
    const v = Number(q.get(key));
    if (q.get(key).trim() === "" || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
      problems.push(`${key}=${q.get(key)} is not ${integer ? "a whole number" : "a number"}`);
    } else target[field] = v;
  };
  const numbers = (key, count) => {
    const parts = (q.get(key) ?? "").split(",").map(Number);
    if (parts.length === count && parts.every(Number.isFinite)) return parts;
    problems.push(`${key}=${q.get(key)} must be ${count} numbers separated by a comma`);
    return null;
  };
  const source = q.get("data") ?? "simulate";
  if (source === "dataset") {
    const set = pg.config.datasets.find((s) => s.name === q.get("dataset")) ?? pg.config.datasets[0];
    if (set && set.name !== q.get("dataset")) problems.push(`no data set ${q.get("dataset")}`);
    if (set) {
      const feature = set.features.includes(q.get("feature")) ? q.get("feature") : set.feature;
      state.data = { source: "dataset", name: set.name, feature };
    }
  } else if (source === "inline") {
    problems.push("this link was made with an uploaded CSV, which links do not carry: " +
      "showing the lecture's data (upload the file to see it)");
  } else if (source === "simulate") {
    for (const k of ["n", "seed"]) number(k, state.data, k, true);
    for (const k of ["w0", "w1"]) number(k, state.data, k);
  } else problems.push(`data=${source} is not simulate, dataset or inline`);
  const t = state.train;
  for (const [key, allowed] of [["loss", pg.config.losses], ["optimizer", pg.config.optimizers]]) {
    if (!q.has(key)) continue;
    if (allowed.includes(q.get(key))) t[key] = q.get(key);
    else problems.push(`${key}=${q.get(key)} is not one of ${allowed.join(", ")}`);
  }
  number("lr", t, "lr");
  number("epochs", t, "epochs", true);
  if (q.has("batch") && q.get("batch") !== "full") number("batch", t, "batch_size", true);
  if (q.has("start") && q.get("start") !== "lecture") t.start = numbers("start", 2) ?? t.start;
  number("momentum", t, "momentum");
  if (q.has("nesterov")) t.nesterov = q.get("nesterov") === "1" || q.get("nesterov") === "true";
  if (q.has("betas")) t.betas = numbers("betas", 2) ?? t.betas;
  number("shuffle", t, "shuffle_seed", true);
  return { state, problems };
}

function saveUrl() {
  const query = toQuery(pg.state);
  history.replaceState(null, "", `${location.pathname}?${query}`);
  const link = `${pg.config.share ?? `${location.origin}/`}?${query}`;
  $("share-link").href = link;
  $("share-link").textContent = link;
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

/** fetch() the API: the JSON answer, or an Error carrying the server's one-line message. */
async function api(path, body, method) {
  const options = { method: method ?? (body === undefined ? "GET" : "POST") };
  if (body instanceof FormData) options.body = body;
  else if (body !== undefined) {
    options.headers = { "content-type": "application/json" };
    options.body = JSON.stringify(body);
  }
  inflight++;
  try {
    let answer;
    try {
      answer = await fetch(path, options);
    } catch (error) {
      throw new Error(`cannot reach the playground's server (${error.message})`);
    }
    const json = await answer.json().catch(() => null);
    if (!answer.ok) throw new Error(json?.error ?? `${path} answered ${answer.status}`);
    return json;
  } finally {
    inflight--;
  }
}

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

/** Fit the current state: in this page (descent.js on a Web Worker) when it is no longer than
 * one request may be, else a streamed run on the server. One at a time: changes made
 * meanwhile are fitted next, once. A fit that diverges here is asked of the server, which
 * says why in the package's words. */
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
    const answer = (await fitInPage(pg.state.train)) ?? (await api("/api/fit", body));
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

/** The state's fit computed in this page; null when a loss diverged or when its mini-batch
 * orders would be more than the server hands out (max_order_values). */
async function fitInPage(train) {
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
  const fits = await Promise.all(
    losses.map((loss, i) => compute(i, { x, y, train, loss, every, start, orders })),
  );
  if (fits.includes(null)) return null;
  const answer = { fits: Object.fromEntries(losses.map((loss, i) => [loss, fits[i]])), mle: data.mle };
  return { ...answer, seconds: (performance.now() - began) / 1000 };
}

/** The fused engine's mini-batch orders (POST /api/orders), kept for the next fit. */
async function ordersFor(n, epochs, seed) {
  const key = `${n},${epochs},${seed}`;
  if (!orderCache.has(key)) {
    const answer = await fetch("/api/orders", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ n, epochs, shuffle_seed: seed }),
    });
    if (!answer.ok) throw new Error((await answer.json()).error);
    orderCache.clear();
    orderCache.set(key, splitOrders(await answer.arrayBuffer(), n));
  }
  return orderCache.get(key);
}

/** One loss's fit on Web Worker `i` -> its record (null: diverged). */
function compute(i, message) {
  if (!computers[i]) {
    computers[i] = new Worker("/static/descent-worker.js", { type: "module" });
    computers[i].postMessage({ constants: pg.config.descent });
    computers[i].onmessage = ({ data: m }) => {
      computing.get(m.id).resolve(m.fit);
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
  pause();
  frame = points() - 1;
  $("frame").max = String(frame);
  const fits = Object.values(answer.fits);
  const epochs = fits[0]?.epochs ?? 0;
  const where = fits[0]?.engine === "page"
    ? "in this page (the fused engine's descent, in JavaScript)"
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

const fmt = (v, digits = 4) => (v == null || !Number.isFinite(v) ? "–" : v.toFixed(digits));
const mb = (bytes) => `${Number((bytes / 1e6).toPrecision(2))} MB`;
const sigmoid = (u) => 1 / (1 + Math.exp(-u));

/** Trajectory points of the fits on screen. */
function points() {
  const fit = Object.values(shownFits())[0];
  return fit ? fit.trajectory.epoch.length : 1;
}

/** The fits on screen at the shown frame: loss -> {w0, w1, loss, epoch, fit}. */
function current() {
  const out = {};
  for (const [loss, fit] of Object.entries(shownFits())) {
    const tr = fit.trajectory;
    const i = Math.min(frame, tr.epoch.length - 1);
    const last = i === tr.epoch.length - 1;
    out[loss] = {
      w0: last ? fit.w0 : tr.w0[i],
      w1: last ? fit.w1 : tr.w1[i],
      loss: tr.loss[i],
      epoch: tr.epoch[i],
      fit,
    };
  }
  return out;
}

function drawAll() {
  const stale = !fresh();
  const busy = stale && $("alert").hidden;
  $("busy").hidden = !busy;
  $("fit-chart").closest(".charts").setAttribute("aria-busy", String(busy));
  pg.draws.push({ stale, busy, fits: Object.keys(shownFits()).length, data: dataShownKey });
  if (pg.draws.length > 500) pg.draws.shift();
  drawFit();
  drawLoss();
  for (const loss of LOSSES) drawLandscape(loss);
  showReadout();
}

function drawFit() {
  const { ctx, w, h } = fitCanvas($("fit-chart"));
  ctx.clearRect(0, 0, w, h);
  const xr = data?.xrange ?? [-1, 1];
  const pad = 0.03 * (xr[1] - xr[0] || 1);
  const f = new Frame(ctx, w, h, [xr[0] - pad, xr[1] + pad], [-0.12, 1.12]);
  f.axes(data?.feature ?? "x", `P(${data?.target ?? "y"} = 1)`);
  if (!data) return;
  f.clip();
  ctx.fillStyle = COLORS.data;
  ctx.globalAlpha = data.n > 500 ? 0.18 : 0.55;
  for (let i = 0; i < data.x.length; i++) {
    const jitter = (((i * 0.6180339887) % 1) - 0.5) * 0.1; // fixed jitter: the same each redraw
    ctx.fillRect(f.x(data.x[i]) - 1.5, f.y(data.y[i] + jitter) - 1.5, 3, 3);
  }
  ctx.globalAlpha = 1;
  const xs = Array.from({ length: 161 }, (_, k) => f.xlim[0] + (k / 160) * (f.xlim[1] - f.xlim[0]));
  const curve = (w0, w1, style) => f.path(xs, xs.map((x) => sigmoid(w0 + w1 * x)), style);
  if (data.truth) curve(data.truth.w0, data.truth.w1, { color: COLORS.truth, dash: [7, 5] });
  if (data.mle) curve(data.mle.w0, data.mle.w1, { color: COLORS.mle, width: 1.5, dash: [2, 3] });
  for (const [loss, c] of Object.entries(current())) {
    curve(c.w0, c.w1, { color: COLORS[loss], width: 3 });
  }
  ctx.restore();
}

function drawLoss() {
  const { ctx, w, h } = fitCanvas($("loss-chart"));
  ctx.clearRect(0, 0, w, h);
  const fits = Object.entries(shownFits());
  const epochs = fits[0]?.[1].epochs ?? 1;
  const top = Math.max(...fits.flatMap(([, f]) => f.trajectory.loss.filter(Number.isFinite)), 0.1);
  const f = new Frame(ctx, w, h, [0, epochs], [0, top * 1.08]);
  f.axes("epoch", "loss");
  f.clip();
  for (const [loss, fit] of fits) {
    f.path(fit.trajectory.epoch, fit.trajectory.loss, { color: COLORS[loss], width: 2.5, count: frame + 1 });
  }
  ctx.restore();
  for (const [loss, fit] of fits) {
    const tr = fit.trajectory;
    const i = Math.min(frame, tr.epoch.length - 1);
    if (tr.loss[i] != null) marker(ctx, "circle", f.x(tr.epoch[i]), f.y(tr.loss[i]), { color: COLORS[loss], size: 4 });
  }
}

function drawLandscape(loss) {
  const canvas = $(`${loss}-land`);
  const { ctx, w, h } = fitCanvas(canvas);
  ctx.clearRect(0, 0, w, h);
  const win = view ?? pg.config.defaults;
  const f = new Frame(ctx, w, h, win.w0, win.w1, { l: 42, r: 8, t: 8, b: 36 });
  landFrames[loss] = f;
  f.clip();
  if (land?.images) {
    const g0 = land.w0;
    const g1 = land.w1;
    const d0 = (g0.at(-1) - g0[0]) / (g0.length - 1) / 2;
    const d1 = (g1.at(-1) - g1[0]) / (g1.length - 1) / 2;
    const x0 = f.x(g0[0] - d0);
    const y0 = f.y(g1.at(-1) + d1);
    ctx.drawImage(land.images[loss], x0, y0, f.x(g0.at(-1) + d0) - x0, f.y(g1[0] - d1) - y0);
    for (const level of land.contours?.[loss] ?? []) {
      for (const p of level.paths) {
        f.path(p.map((q) => q[0]), p.map((q) => q[1]), { color: CONTOUR, width: 1 });
      }
    }
  }
  const fit = shownFits()[loss];
  if (fit) {
    const tr = fit.trajectory;
    f.path(tr.w0, tr.w1, { color: "#ffffff", width: 5, count: frame + 1, alpha: 0.8 });
    f.path(tr.w0, tr.w1, { color: COLORS[loss], width: 2.5, count: frame + 1 });
  }
  const start = pg.state.train.start ?? firstPoint();
  if (start) marker(ctx, "ring", f.x(start[0]), f.y(start[1]), { color: "#ffffff", size: 5 });
  if (data?.truth) marker(ctx, "plus", f.x(data.truth.w0), f.y(data.truth.w1), { color: COLORS.truth, size: 7 });
  if (data?.mle) marker(ctx, "star", f.x(data.mle.w0), f.y(data.mle.w1), { color: COLORS.mle, size: 7 });
  const now = current()[loss];
  if (now) marker(ctx, "circle", f.x(now.w0), f.y(now.w1), { color: COLORS[loss], size: 5 });
  ctx.restore();
  f.axes("w₀ (intercept)", "w₁ (slope)", { grid: false });
}

/** The start of the fits on screen (the lecture net's when no start is set). */
function firstPoint() {
  const fit = Object.values(shownFits())[0];
  return fit ? [fit.trajectory.w0[0], fit.trajectory.w1[0]] : null;
}

function showReadout() {
  const now = current();
  const m = data?.mle ?? pg.result?.mle ?? null;
  const some = Object.values(now)[0];
  $("epoch").textContent = some ? `${some.epoch.toLocaleString("en")} of ${some.fit.epochs.toLocaleString("en")}` : "0";
  $("frame").value = String(frame);
  for (const loss of LOSSES) {
    const c = now[loss];
    $(`row-${loss}`).classList.toggle("off", !c);
    $(`out-${loss}-w0`).textContent = fmt(c?.w0);
    $(`out-${loss}-w1`).textContent = fmt(c?.w1);
    $(`out-${loss}-loss`).textContent = fmt(c?.loss);
    const se = c && m ? Math.max(Math.abs(c.w0 - m.w0) / m.se_w0, Math.abs(c.w1 - m.w1) / m.se_w1) : null;
    $(`out-${loss}-se`).textContent = se == null ? "–" : `${se < 100 ? se.toFixed(2) : se.toExponential(1)} SE`;
  }
  for (const k of ["w0", "w1"]) {
    const cell = $(`out-mle-${k}`);
    if (!m) cell.textContent = "–";
    else {
      const se = document.createElement("span");
      se.textContent = `± ${fmt(m[`se_${k}`])}`;
      cell.replaceChildren(`${fmt(m[k])} `, se);
    }
  }
  $("out-truth-w0").textContent = data?.truth ? fmt(data.truth.w0) : "–";
  $("out-truth-w1").textContent = data?.truth ? fmt(data.truth.w1) : "–";
}

// ---------- playing ----------

function play() {
  if (frame >= points() - 1) frame = 0;
  playing = true;
  playStart = performance.now() - (frame / Math.max(1, points() - 1)) * PLAY_MS;
  requestAnimationFrame(tick);
}

function tick() {
  if (!playing) return;
  const last = points() - 1;
  const elapsed = Math.max(0, performance.now() - playStart);
  frame = Math.min(last, Math.floor((elapsed / PLAY_MS) * last));
  drawAll();
  if (frame >= last) playing = false;
  else requestAnimationFrame(tick);
}

function pause() {
  playing = false;
}

function showFrame(i) {
  pause();
  frame = Math.max(0, Math.min(points() - 1, i));
  drawAll();
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
  on("play", "click", play);
  on("pause", "click", pause);
  on("step", "click", () => showFrame(frame + 1));
  on("reset", "click", () => showFrame(0));
  on("frame", "input", (event) => showFrame(Number(event.target.value)));
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
  const { state, problems } = fromQuery(location.search);
  pg.state = state;
  showState();
  if (problems.length) showError(`The link's settings: ${problems.join("; ")}.`);
  wire();
  saveUrl();
  drawAll();
  loadData();
  requestFit();
}

start();
