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
// With --archive DIR the node takes a snapshot into an on-disk archive every --snapshot-every
// journal entries (scripts/snapshot.js) and continues as a fork of it; a restart forks from the
// archive's head and replays only the journal since, so it takes the same time whatever the
// chain's length.
//
// Usage: node scripts/node.js --host 127.0.0.1 --port 8545 --journal STATE/journal.jsonl
//          [--archive STATE/archive --snapshot-every 2000] [--block-time 2] [--gc-step-mib 64]
//
// --gc-step-mib N: a full garbage collection whenever the node's resident memory grew by N MiB
// since the last (scripts/native-memory.js); EDR's answers hold native memory V8 cannot weigh.
const fs = require("node:fs");
const path = require("node:path");
const { parseArgs } = require("node:util");

const { values: args } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "8545" },
    journal: { type: "string" },
    fsync: { type: "string", default: "interval" },
    "block-time": { type: "string", default: "0" },
    archive: { type: "string" },
    "snapshot-every": { type: "string", default: "2000" },
    "gc-step-mib": { type: "string", default: "64" },
  },
});

process.env.HARDHAT_CONFIG = process.env.HARDHAT_CONFIG || path.join(__dirname, "..", "hardhat.config.js");
process.env.HARDHAT_DISABLE_TELEMETRY_PROMPT = "true";
const blockTime = Number.parseFloat(args["block-time"]);
if (!(blockTime >= 0)) throw new Error(`--block-time ${args["block-time"]}: expected seconds >= 0`);
process.env.QC_BLOCK_TIME_S = String(blockTime); // read by hardhat.config.js (automine off)
const snapshotEvery = Number.parseInt(args["snapshot-every"], 10);
if (!(snapshotEvery >= 0)) throw new Error(`--snapshot-every ${args["snapshot-every"]}: expected entries >= 0 (0: only on request)`);
if (args.archive && !args.journal) throw new Error("--archive needs --journal");
const gcStepMiB = Number.parseInt(args["gc-step-mib"], 10);
if (!(gcStepMiB > 0)) throw new Error(`--gc-step-mib ${args["gc-step-mib"]}: expected MiB > 0`);
process.chdir(path.join(__dirname, ".."));

const patches = require("./edr-patches"); // before Hardhat creates its provider
const hre = require("hardhat");
const { JsonRpcServer } = require("hardhat/internal/hardhat-network/jsonrpc/server");
const { Journal, JournalError, JournaledProvider } = require("./journal");
const { Archive, ArchiveError } = require("./archive");
const { Tracker, Snapshots } = require("./snapshot");
const nativeMemory = require("./native-memory");

nativeMemory.watch(gcStepMiB); // EDR's answers hold native memory V8 does not weigh
const log = (msg) => console.log(`[quancheng-node] ${new Date().toISOString()} ${msg}`);

async function main() {
  const provider = hre.network.provider;
  let served = provider;
  let journal = null;
  let archive = null;
  if (args.journal) {
    journal = new Journal(args.journal, { fsync: args.fsync, automine: blockTime === 0 });
    const header = { chainId: hre.network.config.chainId, hardfork: hre.network.config.hardfork,
      genesisDate: hre.network.config.initialDate };
    const t0 = Date.now();
    let snapshots = null;
    let head = null;
    if (args.archive) {
      archive = await Archive.open(args.archive, header);
      head = archive.head();
      const tracker = new Tracker();
      patches.setTraceListener((traces) => tracker.traces(traces), () => tracker.tracing);
      patches.setSendListener((method, params) => tracker.sent(method, params));
      journal.onReplay = (method, params) => tracker.request(method, params);
      // EDR caches its fork's answers on disk, one file per storage slot read: a directory per
      // fork, the older ones removed once no network of theirs runs; a cache from another run
      // (an archive restored from a copy, say) never answers for this one.  A cached answer is
      // not fetched, so no fork may reuse another's directory: the tracker would not see it.
      const forkCache = path.join(path.resolve(args.archive), "fork-cache");
      fs.rmSync(forkCache, { recursive: true, force: true });
      let url = null;
      let previousCache = null;
      let forks = 0;
      const fork = async (at) => {
        url = url || (await archive.serve({ onRequest: (method, params) => tracker.fetched(method, params) }));
        forks += 1;
        const cache = path.join(forkCache, `${at.number}-${forks}`);
        patches.setForkCacheDir(cache);
        tracker.forkBlock = at.number;
        const offset = await clockOffset(provider);
        await provider.request({ method: "hardhat_reset", params: [{ forking: { jsonRpcUrl: url, blockNumber: at.number } }] });
        await journal.afterFork(provider);
        await keepClock(provider, offset);
        // Subscriptions lived in the network just replaced: made again, under the same ids.
        if (served instanceof JournaledProvider) await served.resubscribe();
        // The network forked before the previous one is gone: its requests have all finished.
        for (const name of fs.existsSync(forkCache) ? fs.readdirSync(forkCache) : []) {
          const dir = path.join(forkCache, name);
          if (dir !== cache && dir !== previousCache) fs.rmSync(dir, { recursive: true, force: true });
        }
        previousCache = cache;
        // The replaced network's memory is native (EDR): V8 does not feel it and may keep the
        // dead provider for long; a full collection now returns it.
        nativeMemory.collectGarbage();
      };
      if (head !== null) {
        await fork(head);
      } else {
        // A chain from genesis (or a journal kept without an archive so far) is not a fork: its
        // traces are read until its first snapshot, taken as soon as it has replayed.
        tracker.trace(true);
        await trackGenesis(provider, tracker);
      }
      snapshots = new Snapshots({
        inner: provider, journal, archive, tracker, every: snapshotEvery, fork, log,
        pause: snapshotPause(process.env.QC_NODE_SNAPSHOT_PAUSE),
      });
    }
    const replayed = await journal.open(provider, header, head);
    const from = head === null ? "genesis" : `archive block ${head.number}`;
    log(`journal ${args.journal}: from ${from}, replayed ${replayed.entries} requests, ${replayed.blocks} blocks`
      + `${replayed.skipped ? ` (${replayed.skipped} already archived)` : ""} in ${Date.now() - t0} ms`);
    served = new JournaledProvider(provider, journal, snapshots);
    // Traces are on (a chain from genesis, or a contract created in the replayed tail): the
    // network becomes a fork of its archive now, and the traces go off.
    if (snapshots !== null && snapshots.tracker.tracing) await snapshots.take();
  }
  const server = new JsonRpcServer({ hostname: args.host, port: Number.parseInt(args.port, 10), provider: served });
  const { address, port } = await server.listen();
  // Node's default keep-alive timeout (5 s) is shorter than clients' idle pools keep a
  // connection: a client reusing one the server had just closed got "connection reset by
  // peer" (seen from web3.py and the gateways' anchorer). Clients time out first now.
  server._httpServer.keepAliveTimeout = 65_000;
  server._httpServer.headersTimeout = 66_000;
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
      if (archive) await archive.close();
      log("stopped");
      process.exit(0);
    }
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  await server.waitUntilClosed();
}

/** The node's clock against the wall clock (s): the timestamp the next block would get, minus now. */
async function clockOffset(provider) {
  const pending = await provider.request({ method: "eth_getBlockByNumber", params: ["pending", false] });
  return Number(BigInt(pending.timestamp)) - Math.floor(Date.now() / 1000);
}

/**
 * A network forked anew starts its clock from the fork block's timestamp, which was stamped a
 * little before: each snapshot would set chain time back by that much, and grants, judged by
 * the wall clock, would read "not yet valid" for longer and longer (seen after ~100 snapshots).
 * The new network's clock is moved on to the old one's offset (one the owner moved forward on
 * purpose stays), and never behind the wall clock.
 */
async function keepClock(provider, before) {
  const behind = Math.max(before, 0) - (await clockOffset(provider));
  if (behind > 0) await provider.request({ method: "evm_increaseTime", params: [behind] });
}

/** `STAGE:MS` (tests only): a snapshot waits MS milliseconds after STAGE, for a kill to land. */
function snapshotPause(spec) {
  if (!spec) return null;
  const at = spec.lastIndexOf(":");
  return { stage: spec.slice(0, at), ms: Number.parseInt(spec.slice(at + 1), 10) };
}

/** Notes the accounts a chain fresh from genesis has: development accounts, coinbase, predeploys. */
async function trackGenesis(provider, tracker) {
  for (const address of await provider.request({ method: "eth_accounts", params: [] })) tracker.account(address);
  tracker.account(await provider.request({ method: "eth_coinbase", params: [] }));
  const edr = require("@nomicfoundation/edr");
  const { ethereumsjsHardforkToEdrSpecId } = require("hardhat/internal/hardhat-network/provider/utils/convertToEdr");
  const { getHardforkName } = require("hardhat/internal/util/hardforks");
  const spec = ethereumsjsHardforkToEdrSpecId(getHardforkName(hre.network.config.hardfork));
  for (const account of edr.l1GenesisState(edr.l1HardforkFromString(spec))) {
    tracker.account(`0x${Buffer.from(account.address).toString("hex")}`);
  }
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
  if (err instanceof JournalError || err instanceof ArchiveError) {
    console.error(`[quancheng-node] refused ${err.code}: ${err.message}`);
    process.exit(REFUSED_EXIT);
  }
  console.error(`[quancheng-node] fatal: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
