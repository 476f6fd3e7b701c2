#!/usr/bin/env node
// The local EVM node of 泉城链: Hardhat network behind Hardhat's own JSON-RPC server, with a
// write-ahead journal of every state-changing request so that the chain — contracts, storage,
// blocks and their event logs — is rebuilt exactly when the node starts again.
//
// With --block-time N (seconds, > 0) the node seals a block of the pooled transactions every
// N seconds, as a QBFT network does each block period, instead of one block per transaction;
// a period with no pending transaction seals no block (QBFT would seal an empty one), so an
// idle node's journal does not grow.
//
// Usage: node scripts/node.js --host 127.0.0.1 --port 8545 --journal STATE/journal.jsonl [--block-time 2]
const path = require("node:path");
const { parseArgs } = require("node:util");

const { values: args } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "8545" },
    journal: { type: "string" },
    fsync: { type: "string", default: "interval" },
    "block-time": { type: "string", default: "0" },
  },
});

process.env.HARDHAT_CONFIG = process.env.HARDHAT_CONFIG || path.join(__dirname, "..", "hardhat.config.js");
process.env.HARDHAT_DISABLE_TELEMETRY_PROMPT = "true";
const blockTime = Number.parseFloat(args["block-time"]);
if (!(blockTime >= 0)) throw new Error(`--block-time ${args["block-time"]}: expected seconds >= 0`);
process.env.QC_BLOCK_TIME_S = String(blockTime); // read by hardhat.config.js (automine off)
process.chdir(path.join(__dirname, ".."));

const hre = require("hardhat");
const { JsonRpcServer } = require("hardhat/internal/hardhat-network/jsonrpc/server");
const { Journal, JournalError, JournaledProvider } = require("./journal");

const log = (msg) => console.log(`[quancheng-node] ${new Date().toISOString()} ${msg}`);

async function main() {
  const provider = hre.network.provider;
  let served = provider;
  let journal = null;
  if (args.journal) {
    journal = new Journal(args.journal, { fsync: args.fsync, automine: blockTime === 0 });
    const header = { chainId: hre.network.config.chainId, hardfork: hre.network.config.hardfork,
      genesisDate: hre.network.config.initialDate };
    const t0 = Date.now();
    const replayed = await journal.open(provider, header);
    log(`journal ${args.journal}: replayed ${replayed.entries} requests, ${replayed.blocks} blocks in ${Date.now() - t0} ms`);
    served = new JournaledProvider(provider, journal);
  }
  const server = new JsonRpcServer({ hostname: args.host, port: Number.parseInt(args.port, 10), provider: served });
  const { address, port } = await server.listen();
  log(`listening on http://${address}:${port} chainId=${hre.network.config.chainId}`);
  let sealer = null;
  if (blockTime > 0) {
    sealer = setInterval(() => seal(served).catch((err) => log(`sealing failed: ${err.message}`)), blockTime * 1000);
    sealer.unref();
    log(`sealing a block of pending transactions every ${blockTime} s`);
  }

  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    if (sealer) clearInterval(sealer);
    log(`${signal}: stopping`);
    // server.close() waits for every open connection, and a client's keep-alive connection
    // can hold it for good (a gateway's JSON-RPC session under load did, for the whole stop
    // timeout): idle connections are closed at once, busy ones after a grace second.
    const http = server._httpServer;
    const grace = setTimeout(() => http.closeAllConnections(), 1000);
    try {
      const closed = server.close();
      http.closeIdleConnections();
      await closed;
    } finally {
      clearTimeout(grace);
      // A block being sealed or a request being journaled finishes before the journal closes.
      if (served instanceof JournaledProvider) await served.queue;
      if (journal) journal.close();
      log("stopped");
      process.exit(0);
    }
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  await server.waitUntilClosed();
}

/** Seals the pending transactions into a block, through the journal when there is one. */
async function seal(provider) {
  if (provider instanceof JournaledProvider) return provider.sealPending();
  const pending = await provider.request({ method: "eth_getBlockByNumber", params: ["pending", false] });
  if (pending.transactions.length > 0) await provider.request({ method: "evm_mine", params: [] });
  return null;
}

// Exit code 3 with a `refused CODE:` line tells quancheng_node.process that the state on
// disk was refused (not a crash): it raises the typed error for CODE.
const REFUSED_EXIT = 3;

main().catch((err) => {
  if (err instanceof JournalError) {
    console.error(`[quancheng-node] refused ${err.code}: ${err.message}`);
    process.exit(REFUSED_EXIT);
  }
  console.error(`[quancheng-node] fatal: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
