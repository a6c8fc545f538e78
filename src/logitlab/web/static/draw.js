// Drawing: the fit, the loss per epoch, the two landscapes and the readout, from one scene
// handed to drawScene() (nothing else of the page is read here).
import { Frame, fitCanvas, marker } from "./plot.js";

export const LOSSES = ["bce", "mse"];
export const LABELS = { bce: "BCE", mse: "MSE" };
const CONTOUR = "rgba(40, 48, 60, 0.55)";
const $ = (id) => document.getElementById(id);

/** loss -> the Frame of its landscape, to map clicks back to (w0, w1). */
export const landFrames = {};

// The scene being drawn (drawScene's argument).
let data = null; // the /api/data (or /api/upload) answer on screen
let land = null; // the /api/landscape answer, with its heat images
let view = null; // the landscape window {w0: [lo, hi], w1: [lo, hi]}
let fits = {}; // loss -> the fit record to show (none while it is not the state's)
let frame = 0; // index into their trajectories
let start = null; // the start marker [w0, w1]
let mle = null;
let COLORS = null; // logitlab/viz/style.py's colours, from /api/config

/** Draw {data, land, view, fits, frame, start, mle, colors}. */
export function drawScene(scene) {
  ({ data, land, view, fits, frame, start, mle, colors: COLORS } = scene);
  drawFit();
  drawLoss();
  for (const loss of LOSSES) drawLandscape(loss);
  showReadout();
}

export const fmt = (v, digits = 4) => (v == null || !Number.isFinite(v) ? "–" : v.toFixed(digits));
const sigmoid = (u) => 1 / (1 + Math.exp(-u));

/** Trajectory points of the fits `shown` (loss -> record). */
export function points(shown) {
  const fit = Object.values(shown)[0];
  return fit ? fit.trajectory.epoch.length : 1;
}

/** The fits on screen at the shown frame: loss -> {w0, w1, loss, epoch, fit}. */
function current() {
  const out = {};
  for (const [loss, fit] of Object.entries(fits)) {
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
  const shown = Object.entries(fits);
  const epochs = shown[0]?.[1].epochs ?? 1;
  const top = Math.max(...shown.flatMap(([, f]) => f.trajectory.loss.filter(Number.isFinite)), 0.1);
  const f = new Frame(ctx, w, h, [0, epochs], [0, top * 1.08]);
  f.axes("epoch", "loss");
  f.clip();
  for (const [loss, fit] of shown) {
    f.path(fit.trajectory.epoch, fit.trajectory.loss, { color: COLORS[loss], width: 2.5, count: frame + 1 });
  }
  ctx.restore();
  for (const [loss, fit] of shown) {
    const tr = fit.trajectory;
    const i = Math.min(frame, tr.epoch.length - 1);
    if (tr.loss[i] != null) marker(ctx, "circle", f.x(tr.epoch[i]), f.y(tr.loss[i]), { color: COLORS[loss], size: 4 });
  }
}

function drawLandscape(loss) {
  const canvas = $(`${loss}-land`);
  const { ctx, w, h } = fitCanvas(canvas);
  ctx.clearRect(0, 0, w, h);
  const win = view;
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
  const fit = fits[loss];
  if (fit) {
    const tr = fit.trajectory;
    f.path(tr.w0, tr.w1, { color: "#ffffff", width: 5, count: frame + 1, alpha: 0.8 });
    f.path(tr.w0, tr.w1, { color: COLORS[loss], width: 2.5, count: frame + 1 });
  }
    if (start) marker(ctx, "ring", f.x(start[0]), f.y(start[1]), { color: "#ffffff", size: 5 });
  if (data?.truth) marker(ctx, "plus", f.x(data.truth.w0), f.y(data.truth.w1), { color: COLORS.truth, size: 7 });
  if (data?.mle) marker(ctx, "star", f.x(data.mle.w0), f.y(data.mle.w1), { color: COLORS.mle, size: 7 });
  const now = current()[loss];
  if (now) marker(ctx, "circle", f.x(now.w0), f.y(now.w1), { color: COLORS[loss], size: 5 });
  ctx.restore();
  f.axes("w₀ (intercept)", "w₁ (slope)", { grid: false });
}

function showReadout() {
  const now = current();
  const m = mle;
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
