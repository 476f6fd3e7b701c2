// Memory EDR holds for JavaScript objects that V8 cannot weigh.
//
// Every answer EDR gives (a napi `Response`) owns, in native memory, the raw trace of each
// transaction or call it executed: every EVM step with the top of its stack.  An eth_call that
// verifies an SM2 signature on chain (an owner's approval, a grant view) leaves ~22 MiB.  The
// JavaScript wrapper is a few bytes, so V8, whose heap here stays near 15 MiB, seldom runs the
// full collection that would free it; a young-generation one does not reach it (an HTTP request
// lives across several turns of the event loop, and its answer is promoted before it dies).
// A test session's node grew past 7 GiB in four minutes, and CI lost its node at about that size.
//
// Two bounds, measured with 160 such eth_calls from 16 clients (tests/node/test_memory.py):
// - `watch()` runs a full collection whenever the resident memory grew by `stepMiB` since the
//   last one, so dead answers are freed (a collection of this heap takes 5-20 ms);
// - `enter()`/`leave()` let at most IN_FLIGHT requests into EDR at once (see below).
// Together: 10 threads instead of 58, and the node grew by ~1,000 MiB instead of 3,211.
//
// What is left: EDR's allocator (mimalloc) keeps pages freed by another thread until their
// owner allocates again, so the node still grows by ~1 MiB per heavy call over a long run.
// MIMALLOC_PURGE_DELAY=0 returned that memory too, but made the same calls 1.8x slower.
const v8 = require("node:v8");
const vm = require("node:vm");

let gc = null;

/** Runs a full V8 garbage collection (exposed at run time, no command-line flag needed). */
function collectGarbage() {
  if (gc === null) {
    v8.setFlagsFromString("--expose-gc");
    gc = vm.runInNewContext("gc");
  }
  gc();
}

const state = { stepBytes: 0, base: 0, scheduled: false, collections: 0 };

/**
 * Collects in a later turn of the event loop (the answer being returned is dead by then) when
 * the resident memory grew by `stepBytes` since the last collection.  Called after each answer.
 */
function noteAnswer() {
  if (state.stepBytes === 0 || state.scheduled) return;
  if (process.memoryUsage.rss() - state.base < state.stepBytes) return;
  state.scheduled = true;
  setTimeout(() => {
    collectGarbage();
    state.collections += 1;
    // The finalizers run after the collection: measure the new base once they have.
    setImmediate(() => {
      state.base = process.memoryUsage.rss();
      state.scheduled = false;
    });
  }, 0);
}

/** Starts watching: a full collection whenever the resident memory grew by `stepMiB`. */
function watch(stepMiB) {
  if (!(stepMiB > 0)) throw new Error(`native memory step ${stepMiB}: expected MiB > 0`);
  state.stepBytes = stepMiB * 1024 * 1024;
  state.base = process.memoryUsage.rss();
}

// EDR runs each request on a thread of tokio's blocking pool, which grows to as many threads as
// requests were ever in flight at once (up to 512) and keeps them while requests keep coming.
// EDR's allocator (mimalloc) keeps memory per thread: memory a request's thread allocated and
// the event loop's thread freed is reused by that thread only, when it runs its next request.
// Under a test session's concurrent clients the pool held dozens to hundreds of threads, each
// keeping the memory of the last traces it allocated.  EDR serialises requests on its own lock
// anyway: letting only IN_FLIGHT into it at once keeps the pool at a few threads, at about the
// same speed (the attack tests: 230 s against 220 s before; their grant attacks: 15 s against
// 28 s).
const IN_FLIGHT = 2;
const gate = { running: 0, waiting: [] };

/** Waits until fewer than IN_FLIGHT requests are inside EDR; pair with `leave()`. */
function enter() {
  if (gate.running < IN_FLIGHT) {
    gate.running += 1;
    return Promise.resolve();
  }
  return new Promise((resolve) => gate.waiting.push(resolve));
}

/** A request left EDR: the next waiting one (first come, first served) goes in. */
function leave() {
  const next = gate.waiting.shift();
  if (next !== undefined) next();
  else gate.running -= 1;
}

/** How many collections the watch has run. */
function collections() {
  return state.collections;
}

module.exports = { collectGarbage, noteAnswer, watch, collections, enter, leave };
