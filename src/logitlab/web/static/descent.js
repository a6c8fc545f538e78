// The fused engine's descent (logitlab/engines/fused.py) for one feature, in the page: float32
// arithmetic op for op (Math.fround; Float32Array stores round too), the same exp polynomial,
// the same optimizer updates and divergence rule. Why in the page: a class of sixty moving
// sliders would queue sixty fits a second on the teacher's two cores; here each student's
// browser computes its own, and the server only serves the data, the MLE, the landscapes, the
// constants below (GET /api/config's `descent`) and the mini-batch orders (POST /api/orders).

const f = Math.fround;

/** The kernels for the server's constants {exp2, log1p, exp_limit, log2e, logit_limit}. */
export function kernels(c) {
  const EXP2 = c.exp2.map(f);
  const LOG1P = c.log1p.map(f);
  const LIMIT = f(c.exp_limit);
  const LOG2E = f(c.log2e);
  const POW2 = Float64Array.from({ length: 254 }, (_, i) => 2 ** (i - 126)); // 2**k, exact

  /** exp(v) as fused._exp: 2**k 2**frac, 2**frac by the polynomial (fused multiply-adds). */
  function exp(v) {
    const t = f(Math.min(Math.max(v, -LIMIT), LIMIT) * LOG2E);
    const k = Math.floor(f(t + 0.5));
    const frac = f(t - k);
    let poly = 0;
    for (let j = 0; j < EXP2.length; j++) poly = f(poly * frac + EXP2[j]);
    return f(poly * POW2[k + 126]);
  }

  const sigmoid = (u) => f(1 / f(1 + exp(-u)));

  /** u = w0 + w1 x (fused._logits). */
  function logits(x, w0, w1, u, k) {
    for (let i = 0; i < k; i++) u[i] = f(w1 * x[i] + w0);
  }

  /** The mean loss at logits u (fused._mean_bce, _mean_mse). */
  function meanLoss(bce, u, y, k) {
    let total = 0;
    for (let i = 0; i < k; i++) {
      const ui = u[i];
      if (bce) {
        const e = exp(-Math.abs(ui));
        let q = 0;
        for (let j = 0; j < LOG1P.length; j++) q = f(q * e + LOG1P[j]);
        total = f(total + f(f(Math.max(ui, 0) + f(e * q)) - f(y[i] * ui)));
      } else {
        const diff = f(y[i] - sigmoid(ui));
        total = f(total + f(diff * diff));
      }
    }
    return f(total / k);
  }

  /** g = the mean loss's gradient at w (fused._logits, then fused._gradient's two sums,
   * in one pass over the k points: the same operations, in the same order). */
  function gradient(bce, x, y, w, k, g) {
    const [w0, w1] = [w[0], w[1]];
    let g0 = 0;
    let g1 = 0;
    for (let i = 0; i < k; i++) {
      const p = sigmoid(f(w1 * x[i] + w0));
      const r = bce ? f(p - y[i]) : f(f(f(2 * f(p - y[i])) * p) * f(1 - p));
      g0 = f(g0 + r);
      g1 = f(g1 + f(r * x[i]));
    }
    const invN = f(1 / k);
    g[0] = f(g0 * invN);
    g[1] = f(g1 * invN);
  }

  /** One optimizer step in place (fused._update: torch.optim's float32 arithmetic). */
  function update(s, w, g, m, v, t) {
    const lr = f(s.lr);
    if (s.optimizer === "sgd") {
      for (let j = 0; j < 2; j++) w[j] = f(w[j] - f(lr * g[j]));
    } else if (s.optimizer === "momentum") {
      const mom = f(s.momentum);
      for (let j = 0; j < 2; j++) {
        const buf = t === 0 ? g[j] : f(f(m[j] * mom) + g[j]);
        m[j] = buf;
        w[j] = f(w[j] - f(lr * (s.nesterov ? f(g[j] + f(mom * buf)) : buf)));
      }
    } else {
      const [b1, b2] = s.betas;
      const step = t + 1;
      const size = f(-s.lr / (1 - b1 ** step));
      const root = f((1 - b2 ** step) ** 0.5);
      const weight = f(1 - b1);
      const [beta2, rest2, eps] = [f(b2), f(1 - b2), f(s.eps)];
      for (let j = 0; j < 2; j++) {
        if (weight < 0.5) m[j] = f(m[j] + f(weight * f(g[j] - m[j])));
        else m[j] = f(g[j] - f(f(g[j] - m[j]) * f(1 - weight)));
        v[j] = f(f(v[j] * beta2) + f(f(rest2 * g[j]) * g[j]));
        w[j] = f(w[j] + f(f(size * m[j]) / f(f(f(Math.sqrt(v[j])) / root) + eps)));
      }
    }
  }

  /** The largest |logit| on the data (fused._largest_logit): the box bound while within
   * the limit, else the exact maximum (NaN when a logit is NaN). */
  function largestLogit(x, w, lo, hi, u) {
    const [a, b] = [f(w[1] * lo), f(w[1] * hi)];
    const bound = Math.max(Math.abs(f(w[0] + Math.max(a, b))), Math.abs(f(w[0] + Math.min(a, b))));
    if (bound <= c.logit_limit || !Number.isFinite(bound)) return bound;
    logits(x, w[0], w[1], u, x.length);
    let largest = 0;
    for (let i = 0; i < x.length; i++) {
      const size = Math.abs(u[i]);
      if (Number.isNaN(size)) return size;
      largest = Math.max(largest, size);
    }
    return largest;
  }

  /** fused.descend for one problem: s = {loss, optimizer, lr, epochs, every, start,
   * momentum, nesterov, betas, eps, batch (null: full)}; orders[e] is epoch e's order of
   * the points (mini-batches). -> {params: Float32Array of [w0, w1] before epochs 0, every,
   * ... and after the last, diverged: 0 or the 1-based epoch that broke the rule}. */
  function descend(x, y, s, orders) {
    const n = x.length;
    const bce = s.loss === "bce";
    const batch = s.batch == null || s.batch >= n ? n : s.batch;
    const perEpoch = Math.ceil(n / batch);
    const rows = Math.ceil(s.epochs / s.every);
    const params = new Float32Array(2 * (rows + 1)).fill(Number.NaN);
    const w = Float32Array.from(s.start);
    const [m, v, g] = [new Float32Array(2), new Float32Array(2), new Float32Array(2)];
    const u = new Float32Array(n); // scratch of the exact largest logit
    const [xb, yb] = [new Float32Array(batch), new Float32Array(batch)];
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) [lo, hi] = [Math.min(lo, x[i]), Math.max(hi, x[i])];
    let t = 0;
    for (let epoch = 0; epoch < s.epochs; epoch++) {
      if (epoch % s.every === 0) params.set(w, 2 * (epoch / s.every));
      if (batch === n) {
        gradient(bce, x, y, w, n, g);
        update(s, w, g, m, v, t++);
      } else {
        const order = orders[epoch];
        for (let step = 0; step < perEpoch; step++) {
          const first = step * batch;
          const k = Math.min(batch, n - first);
          for (let i = 0; i < k; i++) [xb[i], yb[i]] = [x[order[first + i]], y[order[first + i]]];
          gradient(bce, xb, yb, w, k, g);
          update(s, w, g, m, v, t++);
        }
      }
      if (!(largestLogit(x, w, lo, hi, u) <= c.logit_limit)) return { params, diverged: epoch + 1 };
    }
    params.set(w, 2 * rows);
    return { params, diverged: 0 };
  }

  /** The mean loss at each row of params (fused.history_values). */
  function losses(x, y, bce, params) {
    const u = new Float32Array(x.length);
    const out = [];
    for (let row = 0; row < params.length / 2; row++) {
      logits(x, params[2 * row], params[2 * row + 1], u, x.length);
      out.push(meanLoss(bce, u, y, x.length));
    }
    return out;
  }

  return { exp, descend, losses };
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
  const { params, diverged } = k.descend(x, y, s, orders);
  if (diverged) return null;
  const rows = params.length / 2;
  const w0 = Array.from({ length: rows }, (_, i) => params[2 * i]);
  const w1 = Array.from({ length: rows }, (_, i) => params[2 * i + 1]);
  const epoch = Array.from({ length: rows - 1 }, (_, i) => i * every);
  const trajectory = { epoch: [...epoch, train.epochs], w0, w1, loss: k.losses(x, y, loss === "bce", params) };
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

/** POST /api/orders' answer (epochs x n int32) as one order of the n points per epoch. */
export function splitOrders(buffer, n) {
  const flat = new Int32Array(buffer);
  return Array.from({ length: flat.length / n }, (_, e) => flat.subarray(e * n, (e + 1) * n));
}
