// The fused engine's descent (logitlab/engines/fused.py) for one feature, in the page: the
// WebAssembly module descent.wasm (assembled from descent.wat: native float32, four points at a
// time, the engine's fused multiply-adds as relaxed SIMD's, its exp polynomial, optimizer
// updates and divergence rule), checked against the engine to 1e-5. Why in the page: a class of sixty moving sliders would queue sixty fits a
// second on the teacher's two cores; here each student's browser computes its own, and the
// server only serves the data, the MLE, the landscapes, the engine's constants (GET
// /api/config's `descent`) and the mini-batch orders (POST /api/orders).

const MODULE = new URL("./descent.wasm", import.meta.url);
const OPTIMIZERS = ["sgd", "momentum", "adam"]; // the engine's codes: their places here
let compiling = null; // this thread's compilation of the module

/** The module, fetched and compiled once a thread; rejected where the browser cannot compile
 * it (no relaxed SIMD: Chromium before 114), and the page then asks the server for its fits. */
export const compiled = () => (compiling ??= WebAssembly.compileStreaming(fetch(MODULE)));

/** The kernels for the server's constants {exp2, log1p, exp_limit, log2e, logit_limit}: the
 * module compiled, instantiated and set up (hence a promise). */
export async function kernels(c) {
  const instance = await WebAssembly.instantiate(await compiled(), { math: { pow: Math.pow } });
  const wasm = instance.exports;
  const view = (Type, at, length) => new Type(wasm.memory.buffer, at, length);
  view(Float32Array, 0, c.exp2.length + c.log1p.length).set([...c.exp2, ...c.log1p]);
  wasm.setup(c.exp2.length, c.log1p.length, c.exp_limit, c.log2e);

  /** fused.descend for one problem: s = {loss, optimizer, lr, epochs, every, start,
   * momentum, nesterov, betas, eps, batch (null: full)}, every one given; orders holds epoch
   * e's order of the n points at [e n, (e + 1) n) (mini-batches). -> {params: Float32Array of
   * [w0, w1] before epochs 0, every, ... and after the last; losses: the mean loss at each
   * (null after a divergence); diverged: 0 or the 1-based epoch that broke the rule}. */
  function descend(x, y, s, orders) {
    const n = x.length;
    wasm.prepare(n, s.batch ?? n, s.epochs, s.every, orders?.length ?? 0);
    view(Float32Array, wasm.x_at.value, n).set(x);
    view(Float32Array, wasm.y_at.value, n).set(y);
    if (orders) view(Int32Array, wasm.orders_at.value, orders.length).set(orders);
    const bce = s.loss === "bce";
    const diverged = wasm.descend(bce, OPTIMIZERS.indexOf(s.optimizer), s.lr, s.momentum,
      s.nesterov, s.betas[0], s.betas[1], s.eps, s.start[0], s.start[1], c.logit_limit);
    const rows = wasm.rows.value + 1;
    const params = view(Float32Array, wasm.params_at.value, 2 * rows).slice();
    if (diverged) return { params, losses: null, diverged };
    wasm.losses(bce);
    return { params, losses: Array.from(view(Float32Array, wasm.losses_at.value, rows)), diverged };
  }

  return { descend };
}

/** The stride between trajectory points, as web.compute.plan_fit makes it: ceil(epochs /
 * frames), odd (an overshooting descent shows). */
export function stride(epochs, frames) {
  const every = Math.ceil(epochs / frames);
  return every + (every % 2 === 0 ? 1 : 0);
}

/** One loss's fit record as POST /api/fit gives it (its trajectory every `every` epochs),
 * computed here; null when it diverged (the server then says why, in its words). */
export function fitLoss(k, x, y, train, loss, every, start, orders) {
  const s = { ...train, loss, every, start: train.start ?? start, batch: train.batch_size };
  const { params, losses, diverged } = k.descend(x, y, s, orders);
  if (diverged) return null;
  const rows = params.length / 2;
  const w0 = Array.from({ length: rows }, (_, i) => params[2 * i]);
  const w1 = Array.from({ length: rows }, (_, i) => params[2 * i + 1]);
  const epoch = Array.from({ length: rows - 1 }, (_, i) => i * every);
  const trajectory = { epoch: [...epoch, train.epochs], w0, w1, loss: losses };
  return { loss, engine: "page", epochs: train.epochs, w0: w0[rows - 1], w1: w1[rows - 1], trajectory };
}

/** The losses a TrainSpec's `loss` names. */
export const lossesOf = (loss) => (loss === "both" ? ["bce", "mse"] : [loss]);

/** POST /api/fit's answer for `train` (a TrainSpec) on the points x, y, computed here, one
 * loss after the other; null when a loss diverged. */
export function fitHere(k, x, y, train, frames, start, orders, mle) {
  const began = performance.now();
  const every = stride(train.epochs, frames);
  const fits = {};
  for (const loss of lossesOf(train.loss)) {
    fits[loss] = fitLoss(k, x, y, train, loss, every, start, orders);
    if (!fits[loss]) return null;
  }
  return { fits, mle, seconds: (performance.now() - began) / 1000 };
}
