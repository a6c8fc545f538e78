// The 2-D view: two features as TensorFlow Playground shows them. A simulated data set's
// points over the probability surface P(y = 1 | x1, x2) of a fit on the chosen inputs, with
// the decision line (p = 0.5) and the 0.25 and 0.75 contours, played over the epochs
// (player.js). The server fits (POST /api/plane: the library's engine, the MLE, the sentence
// from the numbers, and with an L2 penalty λ the penalized fit, drawn as a dashed decision
// line: the descent stays unpenalized); this page draws the surface from the parameters, a
// probability per cell.
import { api } from "./api.js";
import { Player } from "./player.js";
import { Frame, fitCanvas, INK } from "./plot.js";
import { clone, planeFromQuery, planeToQuery } from "./state.js";

/** The inputs as functions of a point: studies.playground.PLANE_FEATURES' formulas. */
const TRANSFORMS = {
  x1: (x1) => x1,
  x2: (x1, x2) => x2,
  x1sq: (x1) => x1 * x1,
  x2sq: (x1, x2) => x2 * x2,
  x1x2: (x1, x2) => x1 * x2,
  sinx1: (x1) => Math.sin(x1),
  sinx2: (x1, x2) => Math.sin(x2),
};
const CELL = 3; // CSS pixels per computed probability
// The contours drawn over the surface, p = 0.25 and 0.75 thin and faint, the decision line
// p = 0.5 bold: p, line width, opacity.
const LEVELS = [
  [0.25, 1.2, 0.55],
  [0.75, 1.2, 0.55],
  [0.5, 2.5, 1],
];
const SURFACE = 0.5; // how far a sure cell's colour goes from white to its class's
const DASH = [7, 5]; // the L2 fit's decision line, in CSS pixels
const $ = (id) => document.getElementById(id);
const sigmoid = (u) => 1 / (1 + Math.exp(-u));
const percent = (v) => `${(100 * v).toFixed(1)}%`;
const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

/** The logit w0 + sum_j w_j f_j(x1, x2) of `params` on the inputs `features`. */
function logitAt(params, features, x1, x2) {
  let u = params[0];
  for (let j = 0; j < features.length; j++) u += params[j + 1] * TRANSFORMS[features[j]](x1, x2);
  return u;
}

export class Plane {
  /** The view's controls and drawing; `saved()` writes the URL, `error(text)` says a
   * refusal on the page. */
  constructor(config, { saved, error }) {
    Object.assign(this, { config, saved, error });
    this.state = clone(config.plane.defaults);
    this.open = false;
    this.answer = null; // the /api/plane answer on screen
    this.shownKey = ""; // the request it answers
    this.pending = false; // a request under way
    this.dirty = false; // the state changed meanwhile
    this.draws = []; // what each redraw showed ({fresh, points, frame}), for the tests
    this.cells = document.createElement("canvas"); // the surface, a pixel per cell
    this.player = new Player(() => this.answer?.fit.trajectory.epoch.length ?? 1, () => this.draw());
    this.fill();
    this.wire();
  }

  /** Whether the page still waits for the state's fit. */
  get busy() {
    return this.pending || this.dirty;
  }

  /** Read a shared URL: the view it opens and the 2-D settings -> what it got wrong. */
  load(search) {
    const { view, state, problems } = planeFromQuery(search, this.config.plane.defaults, this.config);
    this.state = state;
    this.showState();
    this.showView(view, { save: false });
    return problems;
  }

  /** The 2-D part of the URL: empty while the view is closed. */
  query() {
    return this.open ? planeToQuery(this.state) : "";
  }

  request() {
    const { data, features, train, frames, lam } = this.state;
    return { data, features, train, frames, lam };
  }

  fresh() {
    return this.answer !== null && this.shownKey === JSON.stringify(this.request());
  }

  // ---------- the controls ----------

  /** The data sets and inputs /api/config names, as options and checkboxes. */
  fill() {
    const { shapes, features } = this.config.plane;
    const named = (words) => words[0].toUpperCase() + words.slice(1);
    $("plane-shape").replaceChildren(...Object.entries(shapes).map(([k, words]) => new Option(named(words), k)));
    $("plane-inputs").replaceChildren(
      ...Object.entries(features).map(([name, label]) => {
        const box = Object.assign(document.createElement("input"), { type: "checkbox", id: `plane-in-${name}`, value: name });
        const tag = Object.assign(document.createElement("label"), { htmlFor: box.id, textContent: label });
        const item = document.createElement("div");
        item.className = "toggle";
        item.append(box, tag);
        return item;
      }),
    );
    $("plane-n").max = this.config.limits.max_plane_n;
    $("plane-epochs").max = this.config.limits.max_epochs;
  }

  showState() {
    const { data, features, train } = this.state;
    $("plane-shape").value = data.shape;
    $("plane-n").value = data.n;
    $("plane-seed").value = data.seed;
    for (const name of Object.keys(TRANSFORMS)) $(`plane-in-${name}`).checked = features.includes(name);
    $("plane-loss").value = train.loss;
    $("plane-optimizer").value = train.optimizer;
    $("plane-lr").value = Math.log10(train.lr);
    $("plane-lr-value").textContent = String(train.lr);
    $("plane-epochs").value = train.epochs;
    $("plane-lam").value = this.state.lam > 0 ? Math.log10(this.state.lam) : $("plane-lam").min;
    this.showLam();
  }

  /** λ beside its slider and to a screen reader ("off" at the left end, not 10^-4.25). */
  showLam() {
    const said = this.state.lam > 0 ? String(this.state.lam) : "off";
    $("plane-lam-value").textContent = said;
    $("plane-lam").setAttribute("aria-valuetext", said);
  }

  wire() {
    const on = (id, type, handler) => $(id).addEventListener(type, handler);
    const changed = () => {
      this.saved();
      this.fit();
    };
    on("plane-shape", "change", (event) => {
      this.state.data.shape = event.target.value;
      changed();
    });
    for (const [id, field] of [["plane-n", "n"], ["plane-seed", "seed"]]) {
      on(id, "change", (event) => {
        this.state.data[field] = Number(event.target.value);
        changed();
      });
    }
    on("plane-inputs", "change", () => {
      const ticked = Object.keys(TRANSFORMS).filter((name) => $(`plane-in-${name}`).checked);
      this.state.features = ticked;
      changed();
    });
    for (const [id, field] of [["plane-loss", "loss"], ["plane-optimizer", "optimizer"]]) {
      on(id, "change", (event) => {
        this.state.train[field] = event.target.value;
        changed();
      });
    }
    on("plane-lr", "input", (event) => {
      this.state.train.lr = Number((10 ** Number(event.target.value)).toPrecision(3));
      $("plane-lr-value").textContent = String(this.state.train.lr);
      changed();
    });
    on("plane-lam", "input", (event) => {
      // the left end is "off"; then 10^v, three figures
      const v = Number(event.target.value);
      this.state.lam = v <= Number(event.target.min) ? 0 : Number((10 ** v).toPrecision(3));
      this.showLam();
      changed();
    });
    on("plane-epochs", "change", (event) => {
      this.state.train.epochs = Number(event.target.value);
      changed();
    });
    on("plane-play", "click", () => this.player.play());
    on("plane-pause", "click", () => this.player.pause());
    on("plane-step", "click", () => this.player.showFrame(this.player.frame + 1));
    on("plane-reset", "click", () => this.player.showFrame(0));
    on("plane-frame", "input", (event) => this.player.showFrame(Number(event.target.value)));
    on("plane-copy", "click", async () => {
      const link = $("plane-link").href;
      const copied = await navigator.clipboard?.writeText(link).then(() => true, () => false);
      $("plane-copied").textContent = copied ? "Link copied." : "Copy the address above.";
    });
    const tabs = [$("tab-line"), $("tab-plane")];
    for (const tab of tabs) {
      tab.addEventListener("click", () => this.showView(tab.dataset.view));
      tab.addEventListener("keydown", (event) => {
        const step = { ArrowRight: 1, ArrowLeft: -1, Home: -tabs.length, End: tabs.length }[event.key];
        if (step === undefined) return;
        event.preventDefault();
        const next = tabs[Math.max(0, Math.min(tabs.length - 1, tabs.indexOf(tab) + step))];
        next.focus();
        this.showView(next.dataset.view);
      });
    }
    new ResizeObserver(() => requestAnimationFrame(() => this.open && this.draw())).observe($("plane-chart"));
  }

  /** Open the 1-D lecture view ("line") or this one ("plane"). */
  showView(view, { save = true } = {}) {
    this.open = view === "plane";
    $("view-line").hidden = this.open;
    $("view-plane").hidden = !this.open;
    for (const tab of [$("tab-line"), $("tab-plane")]) {
      const selected = tab.dataset.view === view;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
    }
    if (save) this.saved();
    if (this.open) this.fit();
  }

  // ---------- the server's fit ----------

  /** Fit the state on the server, one request at a time: changes made meanwhile are fitted
   * next, once. Until the state's answer comes, no surface is drawn. */
  async fit() {
    if (this.pending) {
      this.dirty = true;
      return;
    }
    const body = this.request();
    const key = JSON.stringify(body);
    if (key === this.shownKey) {
      this.draw(); // back to the settings on screen, after a refusal maybe
      return;
    }
    this.pending = true;
    this.draw();
    try {
      const answer = await api("/api/plane", body);
      this.answer = answer;
      this.shownKey = key;
      this.player.pause();
      this.player.frame = answer.fit.trajectory.epoch.length - 1;
      $("plane-frame").max = String(this.player.frame);
    } catch (error) {
      this.error(error.message);
    } finally {
      this.pending = false;
      if (this.dirty) {
        this.dirty = false;
        this.fit();
      } else this.draw();
    }
  }

  // ---------- drawing ----------

  /** The frame's parameters, loss, accuracy and epoch. */
  current() {
    const tr = this.answer.fit.trajectory;
    const i = Math.min(this.player.frame, tr.epoch.length - 1);
    return { params: tr.params[i], loss: tr.loss[i], accuracy: tr.accuracy[i], epoch: tr.epoch[i] };
  }

  draw() {
    const fresh = this.fresh();
    $("plane-busy").hidden = !this.busy;
    $("plane-chart").closest("figure").setAttribute("aria-busy", String(this.busy));
    const a = this.answer;
    // the points stay while only the model or its training changes: they are the state's
    const points = a !== null && JSON.stringify(this.state.data) === JSON.stringify({ shape: a.shape, n: a.n, seed: a.seed });
    this.draws.push({ fresh, points, frame: this.player.frame });
    if (this.draws.length > 500) this.draws.shift();
    const { ctx, w, h } = fitCanvas($("plane-chart"));
    ctx.clearRect(0, 0, w, h);
    const edge = points ? 1.06 * Math.max(...a.points.x1.map(Math.abs), ...a.points.x2.map(Math.abs)) : 1;
    const f = new Frame(ctx, w, h, [-edge, edge], [-edge, edge], { l: 42, r: 10, t: 8, b: 36 });
    this.frame = f; // the last drawing's data -> pixel maps, for the tests
    this.l2Path = null; // the L2 fit's dashed line as drawn: its vertices in CSS pixels
    if (fresh) this.surface(f, this.current().params);
    if (fresh && a.l2) this.l2Line(f, a.l2.params);
    if (points) this.points(f);
    f.axes("x1", "x2", { grid: false });
    this.readout(fresh);
  }

  /** The logits of `params` at the centres of cells of CELL pixels over the plot (row 0 at
   * the top), and px(j), py(i) placing the grid's columns and rows in CSS pixels. */
  grid(f, params) {
    const cols = Math.max(2, Math.ceil(f.pw / CELL));
    const rows = Math.max(2, Math.ceil(f.ph / CELL));
    const [x0, x1] = f.xlim;
    const [y0, y1] = f.ylim;
    const logits = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const v = y1 - ((i + 0.5) / rows) * (y1 - y0);
      for (let j = 0; j < cols; j++) logits[i * cols + j] = logitAt(params, this.answer.features, x0 + ((j + 0.5) / cols) * (x1 - x0), v);
    }
    const px = (j) => f.m.l + ((j + 0.5) / cols) * f.pw;
    const py = (i) => f.m.t + ((i + 0.5) / rows) * f.ph;
    return { logits, rows, cols, px, py };
  }

  /** P(y = 1) over the plot, a cell of CELL pixels at a time, and its contours. */
  surface(f, params) {
    const { logits, rows, cols, px, py } = this.grid(f, params);
    const colors = [rgb(this.config.colors.class0), rgb(this.config.colors.class1)];
    this.cells.width = cols;
    this.cells.height = rows;
    const cctx = this.cells.getContext("2d");
    const image = cctx.createImageData(cols, rows);
    for (let k = 0; k < logits.length; k++) {
      const p = sigmoid(logits[k]);
      const sure = SURFACE * Math.abs(2 * p - 1);
      const color = colors[p > 0.5 ? 1 : 0];
      image.data.set([...color.map((c) => Math.round(255 + sure * (c - 255))), 255], 4 * k);
    }
    cctx.putImageData(image, 0, 0);
    const { ctx } = f;
    f.clip();
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(this.cells, f.m.l, f.m.t, f.pw, f.ph);
    ctx.strokeStyle = INK;
    for (const [p, width, alpha] of LEVELS) {
      ctx.lineWidth = width;
      ctx.globalAlpha = alpha;
      ctx.beginPath();
      trace(ctx, contour(logits, rows, cols, Math.log(p / (1 - p)), px, py));
      ctx.stroke();
    }
    ctx.restore();
  }

  /** The L2 fit's decision line (p = 0.5), dashed over the surface; its vertices are kept in
   * l2Path. */
  l2Line(f, params) {
    const { logits, rows, cols, px, py } = this.grid(f, params);
    const { ctx } = f;
    const lines = contour(logits, rows, cols, 0, px, py);
    f.clip();
    ctx.strokeStyle = INK;
    ctx.lineWidth = 2.5;
    ctx.setLineDash(DASH);
    ctx.beginPath();
    trace(ctx, lines);
    ctx.stroke();
    ctx.restore();
    this.l2Path = lines.flat();
  }

  points(f) {
    const { x1, x2, y } = this.answer.points;
    const { ctx } = f;
    const colors = [this.config.colors.class0, this.config.colors.class1];
    f.clip();
    ctx.lineWidth = 1;
    ctx.strokeStyle = "#ffffff";
    const r = x1.length > 500 ? 3 : 4;
    for (let i = 0; i < x1.length; i++) {
      ctx.fillStyle = colors[y[i]];
      ctx.beginPath();
      ctx.arc(f.x(x1[i]), f.y(x2[i]), r, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
    ctx.restore();
  }

  /** What is shown (the fit, or why none), the epoch, loss, accuracy and parameters at the
   * frame, the MLE, the sentence. */
  readout(fresh) {
    const a = fresh ? this.answer : null;
    const now = a && this.current();
    $("plane-status").textContent = a
      ? `${a.fit.epochs.toLocaleString("en")} epochs of ${a.fit.loss.toUpperCase()} on ` +
        `${a.n.toLocaleString("en")} points fitted on the server in ${(a.seconds * 1000).toFixed(0)} ms ` +
        `(${a.fit.engine} engine).`
      : this.busy ? "Fitting…" : "No fit is shown: these settings did not give one.";
    $("plane-epoch").textContent = now ? `${now.epoch.toLocaleString("en")} of ${a.fit.epochs.toLocaleString("en")}` : "–";
    $("plane-frame").value = String(this.player.frame);
    $("plane-loss-value").textContent = now ? now.loss.toFixed(4) : "–";
    $("plane-accuracy-value").textContent = now ? percent(now.accuracy) : "–";
    $("plane-line-accuracy").textContent = a?.line_accuracy == null ? "–" : percent(a.line_accuracy);
    $("plane-sentence").textContent = a?.sentence ?? "";
    $("plane-sentence").hidden = !a?.sentence;
    $("plane-note").textContent = a?.mle_note ?? "";
    const l2 = a?.l2 ?? null; // with a penalty its fit takes the MLE's column
    $("plane-ref-head").textContent = l2 ? `L2 fit, λ = ${l2.lam}` : "MLE ± SE";
    $("plane-l2-legend").hidden = !l2;
    $("plane-l2-sentence").textContent = l2?.sentence ?? "";
    $("plane-l2-sentence").hidden = !l2;
    const names = a ? ["Intercept", ...a.features] : [];
    const labels = a ? ["intercept", ...a.labels] : [];
    $("plane-params").replaceChildren(
      ...names.map((name, k) => {
        const row = document.createElement("tr");
        const head = Object.assign(document.createElement("th"), { scope: "row", textContent: labels[k] });
        const mle = a.mle ? `${a.mle.params[k].toFixed(3)} ± ${a.mle.se[name].toFixed(3)}` : "–";
        const other = l2 ? l2.params[k].toFixed(3) : mle;
        row.append(head, ...[now.params[k].toFixed(3), other].map((text) => Object.assign(document.createElement("td"), { textContent: text })));
        return row;
      }),
    );
    $("plane-chart").setAttribute("aria-label", now
      ? `Points of the two classes over P(y = 1 | x1, x2) at epoch ${now.epoch}: accuracy ${percent(now.accuracy)}.`
      : "The probability surface: waiting for the fit of these settings.");
  }
}

/** Add polylines ([[x, y], ...] each) to the path of `ctx`. */
function trace(ctx, lines) {
  for (const [first, ...rest] of lines) {
    ctx.moveTo(...first);
    for (const point of rest) ctx.lineTo(...point);
  }
}

/** The level `level` of a grid of values (rows x cols, row 0 at the top) by marching squares,
 * as polylines; px(j), py(i) place the grid's columns and rows. */
function contour(values, rows, cols, level, px, py) {
  const segments = [];
  const at = (i, j) => values[i * cols + j] - level;
  const cross = (i0, j0, i1, j1) => {
    const a = at(i0, j0);
    const t = a / (a - at(i1, j1));
    return [px(j0 + t * (j1 - j0)), py(i0 + t * (i1 - i0))];
  };
  for (let i = 0; i < rows - 1; i++) {
    for (let j = 0; j < cols - 1; j++) {
      const corners = [at(i, j), at(i, j + 1), at(i + 1, j + 1), at(i + 1, j)].map((v) => v > 0);
      const edges = [];
      if (corners[0] !== corners[1]) edges.push(cross(i, j, i, j + 1)); // top
      if (corners[1] !== corners[2]) edges.push(cross(i, j + 1, i + 1, j + 1)); // right
      if (corners[3] !== corners[2]) edges.push(cross(i + 1, j, i + 1, j + 1)); // bottom
      if (corners[0] !== corners[3]) edges.push(cross(i, j, i + 1, j)); // left
      if (edges.length === 0) continue;
      // a saddle: the centre joins the two corners on its side, so the line cuts off the
      // other two (top-right and bottom-left, or top-left and bottom-right)
      const centre = at(i, j) + at(i, j + 1) + at(i + 1, j + 1) + at(i + 1, j) > 0;
      const pairs = edges.length < 4 ? [edges] : centre === corners[0] ? [edges.slice(0, 2), edges.slice(2)]
        : [[edges[0], edges[3]], [edges[1], edges[2]]];
      segments.push(...pairs);
    }
  }
  return polylines(segments);
}

/** Join segments that share an end into polylines, so that a dash pattern runs along a line
 * instead of restarting in every cell. Two cells compute their shared edge's crossing from
 * the same corners, so the ends are equal numbers and can be matched exactly. */
function polylines(segments) {
  const key = ([x, y]) => `${x},${y}`;
  const ends = new Map(); // an end -> the segments that have it
  segments.forEach((segment, k) => {
    for (const point of segment) ends.set(key(point), [...(ends.get(key(point)) ?? []), k]);
  });
  const used = new Uint8Array(segments.length);
  const grow = (line) => {
    for (;;) {
      const tail = key(line[line.length - 1]);
      const next = ends.get(tail).find((k) => !used[k]);
      if (next === undefined) return;
      used[next] = 1;
      const [a, b] = segments[next];
      line.push(key(a) === tail ? b : a);
    }
  };
  const lines = [];
  for (let k = 0; k < segments.length; k++) {
    if (used[k]) continue;
    used[k] = 1;
    const line = [...segments[k]];
    grow(line);
    line.reverse();
    grow(line);
    lines.push(line);
  }
  return lines;
}
