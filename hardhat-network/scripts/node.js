#!/usr/bin/env node
// The local EVM node of 泉城链: Hardhat network behind Hardhat's own JSON-RPC server, with a
// write-ahead journal of every state-changing request so that the chain — contracts, storage,
// blocks and their event logs — is rebuilt exactly when the node starts again.
//
// Usage: node scripts/node.js --host 127.0.0.1 --port 8545 --journal STATE/journal.jsonl
const path = require("node:path");
const { parseArgs } = require("node:util");

const { values: args } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "8545" },
    journal: { type: "string" },
    fsync: { type: "string", default: "interval" },
  },
});

process.env.HARDHAT_CONFIG = process.env.HARDHAT_CONFIG || path.join(__dirname, "..", "hardhat.config.js");
process.env.HARDHAT_DISABLE_TELEMETRY_PROMPT = "true";
process.chdir(path.join(__dirname, ".."));

const hre = require("hardhat");
const { JsonRpcServer } = require("hardhat/internal/hardhat-network/jsonrpc/server");
const { Journal, JournaledProvider } = require("./journal");

const log = (msg) => console.log(`[quancheng-node] ${new Date().toISOString()} ${msg}`);

async function main() {
  const provider = hre.network.provider;
  let served = provider;
  let journal = null;
  if (args.journal) {
    journal = new Journal(args.journal, { fsync: args.fsync });
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

  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
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
      if (journal) journal.close();
      log("stopped");
      process.exit(0);
    }
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  await server.waitUntilClosed();
}

main().catch((err) => {
  console.error(`[quancheng-node] fatal: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
