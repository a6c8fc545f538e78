// Hand-written canvas charts: axes with round ticks, lines, markers and a heat map. A few
// hundred lines instead of a 3.5 MB charting library, and a redraw costs about a millisecond.

export const INK = "#1b1f24";
const GRID = "#e3e6eb";
const FONT = "12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";

/** Size a canvas's backing store to its CSS box times the device pixel ratio. */
export function fitCanvas(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(canvas.clientWidth));
  const h = Math.max(1, Math.round(canvas.clientHeight));
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { ctx, w, h };
}

/** About `count` round tick values covering [lo, hi]. */
export function ticks(lo, hi, count = 5) {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return out;
}

function tickText(v) {
  const a = Math.abs(v);
  if (a >= 10000) return `${(v / 1000).toFixed(0)}k`;
  return Number(v.toPrecision(4)).toString().replace("-", "−");
}

/** A plot area inside a canvas: data -> pixel maps and the axes around it. */
export class Frame {
  constructor(ctx, w, h, xlim, ylim, margin = { l: 46, r: 10, t: 8, b: 36 }) {
    Object.assign(this, { ctx, w, h, xlim, ylim, m: margin });
    this.pw = Math.max(1, w - margin.l - margin.r);
    this.ph = Math.max(1, h - margin.t - margin.b);
  }

  x(v) {
    return this.m.l + ((v - this.xlim[0]) / (this.xlim[1] - this.xlim[0])) * this.pw;
  }

  y(v) {
    return this.m.t + (1 - (v - this.ylim[0]) / (this.ylim[1] - this.ylim[0])) * this.ph;
  }

  /** The data point under pixel (px, py). */
  invert(px, py) {
    const { xlim, ylim } = this;
    return [
      xlim[0] + ((px - this.m.l) / this.pw) * (xlim[1] - xlim[0]),
      ylim[0] + (1 - (py - this.m.t) / this.ph) * (ylim[1] - ylim[0]),
    ];
  }

  contains(px, py) {
    return px >= this.m.l && px <= this.m.l + this.pw && py >= this.m.t && py <= this.m.t + this.ph;
  }

  clip() {
    const { ctx, m } = this;
    ctx.save();
    ctx.beginPath();
    ctx.rect(m.l, m.t, this.pw, this.ph);
    ctx.clip();
  }

  /** Grid lines, ticks and axis labels. */
  axes(xlabel, ylabel, { grid = true } = {}) {
    const { ctx, m } = this;
    ctx.save();
    ctx.font = FONT;
    ctx.fillStyle = INK;
    ctx.strokeStyle = GRID;
    ctx.lineWidth = 1;
    const xt = ticks(this.xlim[0], this.xlim[1], Math.max(3, Math.floor(this.pw / 70)));
    const yt = ticks(this.ylim[0], this.ylim[1], Math.max(3, Math.floor(this.ph / 45)));
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const v of xt) {
      const px = Math.round(this.x(v)) + 0.5;
      if (grid) line(ctx, px, m.t, px, m.t + this.ph);
      ctx.fillText(tickText(v), px, m.t + this.ph + 4);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const v of yt) {
      const py = Math.round(this.y(v)) + 0.5;
      if (grid) line(ctx, m.l, py, m.l + this.pw, py);
      ctx.fillText(tickText(v), m.l - 5, py);
    }
    ctx.strokeStyle = "#8a93a0";
    ctx.strokeRect(m.l + 0.5, m.t + 0.5, this.pw - 1, this.ph - 1);
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText(xlabel, m.l + this.pw / 2, this.h - 1);
    ctx.translate(11, m.t + this.ph / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(ylabel, 0, 0);
    ctx.restore();
  }

  /** A polyline through (xs[i], ys[i]) for i < count, skipping missing values. */
  path(xs, ys, { color, width = 2, dash = [], count = xs.length, alpha = 1 }) {
    const { ctx } = this;
    ctx.save();
    ctx.strokeStyle = color;
    ctx.globalAlpha = alpha;
    ctx.lineWidth = width;
    ctx.lineJoin = "round";
    ctx.setLineDash(dash);
    ctx.beginPath();
    let pen = false;
    for (let i = 0; i < Math.min(count, xs.length); i++) {
      if (xs[i] == null || ys[i] == null || !Number.isFinite(ys[i])) {
        pen = false;
        continue;
      }
      const px = this.x(xs[i]);
      const py = this.y(ys[i]);
      if (pen) ctx.lineTo(px, py);
      else ctx.moveTo(px, py);
      pen = true;
    }
    ctx.stroke();
    ctx.restore();
  }
}

function line(ctx, x0, y0, x1, y1) {
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1, y1);
  ctx.stroke();
}

/** Draw a marker centred on (px, py): "circle", "ring", "star" or "plus". */
export function marker(ctx, kind, px, py, { color = INK, size = 6, edge = "#000" } = {}) {
  ctx.save();
  ctx.lineWidth = 2;
  ctx.strokeStyle = edge;
  ctx.fillStyle = color;
  ctx.beginPath();
  if (kind === "circle" || kind === "ring") {
    ctx.arc(px, py, size, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  } else if (kind === "star") {
    for (let i = 0; i < 10; i++) {
      const r = i % 2 ? size * 0.45 : size * 1.25;
      const a = -Math.PI / 2 + (i * Math.PI) / 5;
      ctx.lineTo(px + r * Math.cos(a), py + r * Math.sin(a));
    }
    ctx.closePath();
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = "#fff";
    ctx.stroke();
    ctx.fill();
  } else if (kind === "plus") {
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = 5;
    plus(ctx, px, py, size);
    ctx.strokeStyle = color;
    ctx.lineWidth = 2.5;
    plus(ctx, px, py, size);
  }
  ctx.restore();
}

function plus(ctx, px, py, size) {
  ctx.beginPath();
  ctx.moveTo(px - size, py);
  ctx.lineTo(px + size, py);
  ctx.moveTo(px, py - size);
  ctx.lineTo(px, py + size);
  ctx.stroke();
}

// Low loss pale, high loss slate blue: lines in the loss colours stay visible over it.
const RAMP = [
  [0, [251, 251, 244]],
  [0.5, [205, 216, 230]],
  [1, [127, 149, 181]],
];

function ramp(t) {
  const k = t <= RAMP[1][0] ? 0 : 1;
  const [t0, c0] = RAMP[k];
  const [t1, c1] = RAMP[k + 1];
  const u = Math.min(1, Math.max(0, (t - t0) / (t1 - t0)));
  return c0.map((c, i) => Math.round(c + u * (c1[i] - c)));
}

/** A small canvas holding `values` (rows bottom-up: row i is the i-th y value) as a heat map
 * on a log scale, to be stretched over a Frame with drawImage. */
export function heatImage(values) {
  const rows = values.length;
  const cols = values[0].length;
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of values) {
    for (const v of row) {
      if (v != null && v > 0) {
        lo = Math.min(lo, Math.log(v));
        hi = Math.max(hi, Math.log(v));
      }
    }
  }
  const image = document.createElement("canvas");
  image.width = cols;
  image.height = rows;
  const ctx = image.getContext("2d");
  const pixels = ctx.createImageData(cols, rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = values[i][j];
      const t = v != null && v > 0 && hi > lo ? (Math.log(v) - lo) / (hi - lo) : 1;
      const [r, g, b] = ramp(t);
      const at = ((rows - 1 - i) * cols + j) * 4;
      pixels.data.set([r, g, b, 255], at);
    }
  }
  ctx.putImageData(pixels, 0, 0);
  return image;
}
