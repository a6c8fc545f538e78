// One loss's fit (descent.js) on a thread of its own, so the page stays responsive and the
// two losses run side by side: {constants} sets the engine's constants, then each {id, ...}
// is answered with {id, fit} (POST /api/fit's record of that loss, or null: it diverged), or
// {id, error} when the module could not run.
import { fitLoss, kernels } from "./descent.js";

let engine = null; // the kernels, once the module is compiled

onmessage = async ({ data: m }) => {
  if (m.constants) {
    engine = kernels(m.constants);
    return;
  }
  try {
    postMessage({ id: m.id, fit: fitLoss(await engine, m.x, m.y, m.train, m.loss, m.every, m.start, m.orders) });
  } catch (error) {
    postMessage({ id: m.id, error: error.message });
  }
};
