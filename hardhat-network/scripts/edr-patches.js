// Corrections to how Hardhat 2.29 drives EDR 0.12, loaded before Hardhat creates a provider,
// and the hook through which the node learns what each executed transaction touched.
//
// 1. Forking: Hardhat passes a chain's hardfork history as `chainOverrides[].hardforks`, a key
//    EDR 0.12 does not read (it expects `hardforkActivationOverrides`).  Without it a node forked
//    from our archive (a chain id EDR does not know) cannot run anything at the fork block ("No
//    known hardfork for execution on historical block").  The override is passed under both keys.
// 2. Forking: Hardhat overrides the balance of every development account with its configured
//    starting balance when it forks, which would rewrite history's balances at each snapshot.  A
//    node forked from its own archive takes every account from the archive instead; the accounts
//    stay unlocked (they are `ownedAccounts`, a separate setting).
// 3. Traces: EDR returns the raw trace of every transaction it executes (messages and steps, each
//    step with the top of its stack); `setTraceListener(fn, wanted)` receives them for the
//    requests that execute transactions, but only while `wanted()` says so: handing a trace to
//    JavaScript costs about 7 µs per EVM step (an on-chain SM2 check runs over a million), so the
//    snapshot reads them only where the archive cannot tell it what changed (scripts/snapshot.js).
//    `setSendListener(fn)` sees every transaction sent, before EDR runs it.
// 4. Memory: each answer holds its raw traces in native memory until V8 collects it, and EDR
//    starts a thread per request in flight; scripts/native-memory.js lets at most two requests
//    into EDR at once (`enter`/`leave`) and collects when the memory grew (`noteAnswer`).
const edr = require("@nomicfoundation/edr");

const nativeMemory = require("./native-memory");

const EXECUTING = ['"method":"eth_sendRawTransaction"', '"method":"eth_sendTransaction"', '"method":"evm_mine"'];

let traceListener = null;
let tracesWanted = () => true;
let sendListener = null;

/** Receives the raw traces of the requests that executed transactions while `wanted()`: `fn(traces)`. */
function setTraceListener(fn, wanted = () => true) {
  traceListener = fn;
  tracesWanted = wanted;
}

/** `fn(method, params)` sees each eth_sendTransaction / eth_sendRawTransaction before it runs. */
function setSendListener(fn) {
  sendListener = fn;
}

/** Where a forked provider caches its fork's answers (set per node: chains must never share it). */
let forkCacheDir = null;

function setForkCacheDir(dir) {
  forkCacheDir = dir;
}

const createProvider = edr.EdrContext.prototype.createProvider;
edr.EdrContext.prototype.createProvider = function patchedCreateProvider(chainType, config, ...rest) {
  if (config.fork) {
    const fork = {
      ...config.fork,
      chainOverrides: (config.fork.chainOverrides || []).map((o) => ({
        ...o,
        hardforkActivationOverrides: o.hardforkActivationOverrides || o.hardforks,
      })),
    };
    if (forkCacheDir) fork.cacheDir = forkCacheDir;
    config = { ...config, fork, genesisState: [] };
  }
  return createProvider.call(this, chainType, config, ...rest);
};

// QC_NODE_SLOW_REQUEST_MS=N logs every request EDR took longer than N ms over (diagnosis).
const slowMs = Number.parseInt(process.env.QC_NODE_SLOW_REQUEST_MS || "0", 10);

const handleRequest = edr.Provider.prototype.handleRequest;
edr.Provider.prototype.handleRequest = async function patchedHandleRequest(request) {
  await nativeMemory.enter();
  let response;
  try {
    response = await handled(this, request);
  } finally {
    nativeMemory.leave();
  }
  nativeMemory.noteAnswer();
  return response;
};

async function handled(provider, request) {
  const t0 = slowMs > 0 ? Date.now() : 0;
  if (sendListener !== null && (request.includes(EXECUTING[0]) || request.includes(EXECUTING[1]))) {
    const { method, params } = JSON.parse(request);
    sendListener(method, params);
  }
  const response = await handleRequest.call(provider, request);
  if (slowMs > 0 && Date.now() - t0 > slowMs) {
    console.log(`[quancheng-node] ${new Date().toISOString()} slow request (${Date.now() - t0} ms): ${request.slice(0, 300)}`);
  }
  if (traceListener !== null && EXECUTING.some((m) => request.includes(m)) && tracesWanted()) {
    const traces = response.traces;
    if (traces.length > 0) traceListener(traces);
  }
  return response;
}

module.exports = { setTraceListener, setSendListener, setForkCacheDir };
