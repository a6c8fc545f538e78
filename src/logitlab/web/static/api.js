// Talking to the playground's server: its JSON API, with the requests under way counted (the
// page is busy while any is), its fit while it is idle, and the fused engine's mini-batch
// orders, kept for the next fit.

let inflight = 0; // requests under way
// A server that answered busy is likely busy a moment later (in a class, its compute thread
// seldom is idle): the page then fits by itself this long without asking, saving the round trip.
const BUSY_MS = 2000;
let busyUntil = 0; // performance.now() until which the page does not ask for the server's fit
const orderCache = new Map(); // "n,epochs,seed" -> the mini-batch orders

/** Whether a request is under way. */
export const requesting = () => inflight > 0;

/** fetch() the API: the JSON answer, or an Error carrying the server's one-line message and
 * the answer's status. */
export async function api(path, body, method) {
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
    if (!answer.ok) {
      throw Object.assign(new Error(json?.error ?? `${path} answered ${answer.status}`), { status: answer.status });
    }
    return json;
  } finally {
    inflight--;
  }
}

/** POST /api/fit's answer for `body` if the server is idle (its fused engine); null at once
 * (503) when it is computing anything else, or answered so less than BUSY_MS ago: the page
 * then fits it itself. */
export async function fitIfIdle(body) {
  if (performance.now() < busyUntil) return null;
  try {
    return await api("/api/fit", { ...body, if_idle: true });
  } catch (error) {
    if (error.status !== 503) throw error;
    busyUntil = performance.now() + BUSY_MS;
    return null;
  }
}

/** The fused engine's mini-batch orders (POST /api/orders), kept for the next fit. */
export async function ordersFor(n, epochs, seed) {
  const key = `${n},${epochs},${seed}`;
  if (!orderCache.has(key)) {
    const answer = await fetch("/api/orders", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ n, epochs, shuffle_seed: seed }),
    });
    if (!answer.ok) throw new Error((await answer.json()).error);
    orderCache.clear();
    orderCache.set(key, new Int32Array(await answer.arrayBuffer())); // epochs x n
  }
  return orderCache.get(key);
}
