// The page's state and its URL: the settings a link carries, to and from a query string, and
// the TrainSpec they send. Plain functions of plain values: no page, no server.

export const clone = (value) => JSON.parse(JSON.stringify(value));

/** The TrainSpec sent to the server: only the settings the chosen optimizer and batching use. */
export function trainSpec(t) {
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

/** number(key, target, field, integer) sets target[field] to the query's number at `key`, or
 * adds what is wrong with it to `problems`. */
function numberReader(q, problems) {
  return (key, target, field, integer = false) => {
    if (!q.has(key)) return;
    const v = Number(q.get(key));
    if (q.get(key).trim() === "" || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
      problems.push(`${key}=${q.get(key)} is not ${integer ? "a whole number" : "a number"}`);
    } else target[field] = v;
  };
}

export function toQuery(state) {
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

/** The state a query string describes (`defaults` for what it leaves out; the data sets,
 * losses and optimizers of /api/config's `config`) and what it got wrong. */
export function fromQuery(search, defaults, config) {
  const q = new URLSearchParams(search);
  const state = clone(defaults);
  const problems = [];
  const number = numberReader(q, problems);
  const numbers = (key, count) => {
    const parts = (q.get(key) ?? "").split(",").map(Number);
    if (parts.length === count && parts.every(Number.isFinite)) return parts;
    problems.push(`${key}=${q.get(key)} must be ${count} numbers separated by a comma`);
    return null;
  };
  const source = q.get("data") ?? "simulate";
  if (source === "dataset") {
    const set = config.datasets.find((s) => s.name === q.get("dataset")) ?? config.datasets[0];
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
  for (const [key, allowed] of [["loss", config.losses], ["optimizer", config.optimizers]]) {
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

// The 2-D view's settings: in the query only while the view is open, after the 1-D view's,
// under names of their own (shape, pn, pseed, inputs, ploss, popt, plr, pepochs, plam).

/** The query of the 2-D view's state (a POST /api/plane request). */
export function planeToQuery(plane) {
  const q = new URLSearchParams({ view: "plane", shape: plane.data.shape, pn: plane.data.n,
    pseed: plane.data.seed, inputs: plane.features.join(","), ploss: plane.train.loss,
    popt: plane.train.optimizer, plr: plane.train.lr, pepochs: plane.train.epochs });
  if (plane.lam > 0) q.set("plam", plane.lam);
  return q.toString();
}

/** The view a query opens ("line" or "plane"), the 2-D view's state it describes (`defaults`
 * for what it leaves out; the data sets, inputs and optimizers of /api/config's `config`) and
 * what it got wrong. */
export function planeFromQuery(search, defaults, config) {
  const q = new URLSearchParams(search);
  const state = clone(defaults);
  const problems = [];
  const number = numberReader(q, problems);
  const view = q.get("view") ?? "line";
  if (!["line", "plane"].includes(view)) problems.push(`view=${view} is not line or plane`);
  const shapes = Object.keys(config.plane.shapes);
  const inputs = Object.keys(config.plane.features);
  if (q.has("shape")) {
    if (shapes.includes(q.get("shape"))) state.data.shape = q.get("shape");
    else problems.push(`shape=${q.get("shape")} is not one of ${shapes.join(", ")}`);
  }
  number("pn", state.data, "n", true);
  number("pseed", state.data, "seed", true);
  if (q.has("inputs")) {
    const names = q.get("inputs").split(",");
    if (names.every((name) => inputs.includes(name))) state.features = inputs.filter((name) => names.includes(name));
    else problems.push(`inputs=${q.get("inputs")} must name some of ${inputs.join(", ")}`);
  }
  for (const [key, field, allowed] of [["ploss", "loss", ["bce", "mse"]], ["popt", "optimizer", config.optimizers]]) {
    if (!q.has(key)) continue;
    if (allowed.includes(q.get(key))) state.train[field] = q.get(key);
    else problems.push(`${key}=${q.get(key)} is not one of ${allowed.join(", ")}`);
  }
  number("plr", state.train, "lr");
  number("pepochs", state.train, "epochs", true);
  number("plam", state, "lam");
  return { view: view === "plane" ? "plane" : "line", state, problems };
}
