#!/usr/bin/env node
// Copies a node's chain into an archive: the blocks after the archive's head up to the node's
// head, with their receipts, and the named accounts and storage slots as they are at that head.
// `copyChain` takes any JSON-RPC `request` function (a Hardhat provider's, or HTTP below).
//
// Usage: node scripts/archive-copy.js --from URL --dir DIR [--accounts A,B] [--storage A:SLOT,...]
//          [--serve] [--port N] [--log-methods]
// With --serve the archive is then served ("serving URL" on stdout) until SIGTERM/SIGINT.
const { parseArgs } = require("node:util");
const { Archive, ArchiveError } = require("./archive");

const BATCH = 100; // blocks (or receipts) per round of requests

/**
 * Reads what an archive at `head` (or null) needs to reach block `toBlock` (default: the
 * node's head): blocks head+1..toBlock with full transactions, the receipt of each, and the
 * named accounts and storage slots as they are at `toBlock`, in rounds of parallel requests.
 */
async function readChain(request, head, { accounts = [], storage = [], toBlock = null } = {}) {
  const last = toBlock ?? Number(BigInt(await request("eth_blockNumber", [])));
  const first = head === null ? 0 : head.number + 1;
  const blocks = [];
  for (let n = first; n <= last; n += BATCH) {
    const numbers = range(n, Math.min(n + BATCH - 1, last));
    blocks.push(...(await Promise.all(numbers.map((k) => request("eth_getBlockByNumber", [`0x${k.toString(16)}`, true])))));
  }
  const hashes = blocks.flatMap((b) => b.transactions.map((tx) => tx.hash));
  const receipts = await inRounds(hashes, (h) => request("eth_getTransactionReceipt", [h]));
  const tag = `0x${last.toString(16)}`;
  const accountValues = await inRounds(accounts, async (address) => {
    const [balance, nonce, code] = await Promise.all([
      request("eth_getBalance", [address, tag]),
      request("eth_getTransactionCount", [address, tag]),
      request("eth_getCode", [address, tag]),
    ]);
    return { address, balance, nonce, code };
  });
  const storageValues = await inRounds(storage, async ({ address, slot }) => (
    { address, slot, value: await request("eth_getStorageAt", [address, slot, tag]) }));
  return { last, blocks, receipts, accounts: accountValues, storage: storageValues };
}

/** Copies blocks head+1..`toBlock` (default: the node's head) and the state named at that block. */
async function copyChain(archive, request, options = {}) {
  const head = archive.head();
  const read = await readChain(request, head, options);
  if (read.blocks.length === 0 && read.accounts.length + read.storage.length === 0) return { head, bytes: 0, blocks: 0 };
  const done = await archive.commit(read);
  return { ...done, blocks: read.blocks.length };
}

/** `fn` over `items`, BATCH at a time in parallel, results in order. */
async function inRounds(items, fn) {
  const out = [];
  for (let i = 0; i < items.length; i += BATCH) out.push(...(await Promise.all(items.slice(i, i + BATCH).map(fn))));
  return out;
}

const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** A JSON-RPC `request(method, params)` over HTTP to `url`. */
function httpRequester(url) {
  let id = 0;
  return async (method, params) => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
    });
    const body = await res.json();
    if (body.error) throw new Error(`${method} at ${url}: ${body.error.message}`);
    return body.result;
  };
}

async function main() {
  const { values: args } = parseArgs({
    options: {
      from: { type: "string" },
      dir: { type: "string" },
      accounts: { type: "string", default: "" },
      storage: { type: "string", default: "" },
      serve: { type: "boolean", default: false },
      port: { type: "string", default: "0" },
      "log-methods": { type: "boolean", default: false },
    },
  });
  const net = require("../hardhat.config.js").networks.hardhat;
  const header = { chainId: net.chainId, hardfork: net.hardfork, genesisDate: net.initialDate };
  const archive = await Archive.open(args.dir, header);
  if (args.from) {
    const accounts = args.accounts.split(",").filter(Boolean);
    const storage = args.storage.split(",").filter(Boolean).map((s) => {
      const [address, slot] = s.split(":");
      return { address, slot };
    });
    const t0 = Date.now();
    const copied = await copyChain(archive, httpRequester(args.from), { accounts, storage });
    console.log(`copied ${copied.blocks} blocks in ${Date.now() - t0} ms, head ${JSON.stringify(archive.head())}`);
  }
  if (!args.serve) return archive.close();
  const onRequest = args["log-methods"] ? (method, params) => console.log(`rpc ${method} ${JSON.stringify(params)}`) : null;
  const url = await archive.serve({ port: Number(args.port), onRequest });
  console.log(`serving ${url}`);
  const stop = () => archive.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  return null;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof ArchiveError ? `refused ${err.code}: ${err.message}` : `fatal: ${err.stack}`);
    process.exit(err instanceof ArchiveError ? 3 : 1);
  });
}

module.exports = { copyChain, readChain, httpRequester };
