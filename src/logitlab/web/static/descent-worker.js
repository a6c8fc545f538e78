// One loss's fit (descent.js) on a thread of its own, so the page stays responsive and the
// two losses run side by side: {constants} sets the engine's constants, then each {id, ...}
// is answered with {id, fit} (POST /api/fit's record of that loss, or null: it diverged).
import { fitLoss, kernels } from "./descent.js";

let engine = null;

onmessage = ({ data: m }) => {
  if (m.constants) {
    engine = kernels(m.constants);
    return;
  }
  postMessage({ id: m.id, fit: fitLoss(engine, m.x, m.y, m.train, m.loss, m.every, m.start, m.orders) });
};
