// Two corrections to how Hardhat 2.29 drives EDR 0.12, loaded before Hardhat creates a provider,
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
//    step with the top of its stack); `setTraceListener` receives them for the requests that
//    execute transactions, so the snapshot knows which accounts and storage slots changed.
const edr = require("@nomicfoundation/edr");

const EXECUTING = ['"method":"eth_sendRawTransaction"', '"method":"eth_sendTransaction"', '"method":"evm_mine"'];

let traceListener = null;

/** Receives the raw traces of every request that executed transactions: `fn(traces)`. */
function setTraceListener(fn) {
  traceListener = fn;
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
  const t0 = slowMs > 0 ? Date.now() : 0;
  const response = await handleRequest.call(this, request);
  if (slowMs > 0 && Date.now() - t0 > slowMs) {
    console.log(`[quancheng-node] ${new Date().toISOString()} slow request (${Date.now() - t0} ms): ${request.slice(0, 300)}`);
  }
  if (traceListener !== null && EXECUTING.some((m) => request.includes(m))) {
    const traces = response.traces;
    if (traces.length > 0) traceListener(traces);
  }
  return response;
};

module.exports = { setTraceListener, setForkCacheDir };
