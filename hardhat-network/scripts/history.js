// History on a node that keeps an archive: what the archive holds (blocks up to the one the
// live network was forked at, their transactions, receipts and logs) is answered from the
// archive itself; the rest, and anything only the network can judge, by the live network.
//
// Through the network, history before the fork came from the archive's JSON-RPC server by way
// of EDR, which kept it in memory: reading the same 40,000 logs five times grew the node from
// 338 to 1,238 MiB (every read, never given back), reading a million logs once took it to
// 2.7 GiB, and every old block read stayed cached until the next snapshot (+147 MiB for 20,000
// blocks, the first read at ~1,000 blocks/s).  Read from the archive the node stays flat, and
// the answers are the ones the network gave before the snapshot: the archive stored them.
const { ProviderError } = require("hardhat/internal/core/providers/errors");

const NUMBER = /^0x[0-9a-fA-F]{1,16}$/;
const HASH = /^0x[0-9a-fA-F]{64}$/;
const HEAD_TAGS = new Set(["latest", "safe", "finalized"]);
const hex = (n) => `0x${n.toString(16)}`;

/** The methods `historical` answers. */
const HISTORICAL = new Set([
  "eth_getLogs", "eth_getBlockByNumber", "eth_getBlockByHash", "eth_getTransactionByHash",
  "eth_getTransactionReceipt",
]);

/**
 * Answers `method`(`params`), one of HISTORICAL, from `archive` where it holds the answer up to
 * `forkBlock` (null: the network is not a fork of it yet), else from `inner`.
 */
async function historical(inner, archive, forkBlock, method, params) {
  const whole = () => inner.request({ method, params });
  if (forkBlock === null || archive.server === null || !Array.isArray(params)) return whole();
  if (method === "eth_getLogs") return getLogs(inner, archive, forkBlock, params);
  const [key] = params;
  if (method === "eth_getBlockByNumber") {
    const number = key === "earliest" ? 0 : typeof key === "string" && NUMBER.test(key) ? Number(BigInt(key)) : null;
    return number !== null && number <= forkBlock ? fromArchive(archive, method, params) : whole();
  }
  if (typeof key !== "string" || !HASH.test(key)) return whole();
  if (method === "eth_getBlockByHash") {
    const number = await archive.blockNumberOfHash(key);
    return number !== null && number <= forkBlock ? fromArchive(archive, method, params) : whole();
  }
  // A transaction: archived, and in a block the network was forked after.
  const [tx] = await archive.transactions([key]);
  if (tx === undefined || tx === null || Number(BigInt(tx.blockNumber)) > forkBlock) return whole();
  return fromArchive(archive, method, params);
}

/**
 * eth_getLogs(`params`): from `archive` for blocks up to `forkBlock`, from `inner` (the live
 * network) after it.  A pending block or a malformed filter goes to the network whole, which
 * answers or refuses it as it always has.
 */
async function getLogs(inner, archive, forkBlock, params) {
  const whole = () => inner.request({ method: "eth_getLogs", params });
  const filter = Array.isArray(params) && params.length === 1 ? params[0] : null;
  if (filter === null || typeof filter !== "object") return whole();
  if (filter.blockHash !== undefined) {
    if (typeof filter.blockHash !== "string" || !HASH.test(filter.blockHash)) return whole();
    const number = await archive.blockNumberOfHash(filter.blockHash);
    return number !== null && number <= forkBlock ? fromArchive(archive, "eth_getLogs", [filter]) : whole();
  }
  const from = await bound(inner, filter.fromBlock);
  const to = await bound(inner, filter.toBlock);
  if (from === null || to === null || from > to || from > forkBlock) return whole();
  const range = (lo, hi) => ({ ...filter, fromBlock: hex(lo), toBlock: hex(hi) });
  if (to <= forkBlock) return fromArchive(archive, "eth_getLogs", [range(from, to)]);
  const older = await fromArchive(archive, "eth_getLogs", [range(from, forkBlock)]);
  const newer = await inner.request({ method: "eth_getLogs", params: [range(forkBlock + 1, to)] });
  return older.concat(newer);
}

/** A filter's block bound as a number, or null when only the network can say (pending, junk). */
async function bound(inner, tag) {
  if (tag === undefined || tag === null || HEAD_TAGS.has(tag)) {
    return Number(BigInt(await inner.request({ method: "eth_blockNumber", params: [] })));
  }
  if (tag === "earliest") return 0;
  if (typeof tag === "string" && NUMBER.test(tag)) return Number(BigInt(tag));
  return null;
}

/** The archive server's own answer, its refusals as the network's errors (same codes). */
async function fromArchive(archive, method, params) {
  try {
    return await archive.server.methods[method](params);
  } catch (err) {
    if (err && err.rpcCode !== undefined) throw new ProviderError(err.message, err.rpcCode);
    throw err;
  }
}

module.exports = { HISTORICAL, historical };
