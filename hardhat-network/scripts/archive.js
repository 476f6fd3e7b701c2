// The node's on-disk archive: the chain up to a snapshot block, in LevelDB, served over
// JSON-RPC (scripts/archive-rpc.js) so that a Hardhat network can fork from it and restart
// without replaying its history.
//
// Key layout (all keys strings; numbers are 16 zero-padded hex digits so ranges scan in order;
// addresses and hashes lower-case, without 0x):
//   m:format          the header {format, chainId, hardfork, genesisDate}
//   m:head            {number, hash, timestamp, blocks, transactions, logs} (head and counters)
//   b:<number>        the block's JSON-RPC object, with transaction hashes only
//   h:<hash>          the block number (16 hex digits)
//   t:<hash>          the transaction's JSON-RPC object (it carries blockNumber and index)
//   r:<hash>          the transaction's receipt
//   l:<number>        the block's logs, in order (only for blocks that have logs): eth_getLogs
//                     scans one key per block with logs instead of every receipt
//   a:<address>       {balance, nonce, code, since} at the head
//   s:<address><slot> the 32-byte storage value at the head (a zero value is no key)
//   S:<address><slot> since: the snapshot block that last wrote the slot (kept for a zero value)
//
// `since` makes historical state exact or refused, never wrong: a snapshot at block H writes
// every account and slot the network may have changed since the previous one, each with
// since = H; the value is the state at every block from H on, and at an older block the archive
// does not know it (it changed somewhere before H) and says so (ARCHIVE_STATE_NOT_KEPT).  An
// account or slot with no key never held anything.
const { ClassicLevel } = require("classic-level");
const { headerHash } = require("./block-header");

const ARCHIVE_FORMAT = "quancheng-node-archive/1";
const HEADER_KEYS = ["chainId", "hardfork", "genesisDate"];
const ZERO_WORD = `0x${"0".repeat(64)}`;

/** An archive refused or a request it cannot answer; `code` is stable. */
class ArchiveError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "ArchiveError";
    this.code = code;
  }
}

const pad = (n) => n.toString(16).padStart(16, "0");
const bare = (hex) => hex.toLowerCase().replace(/^0x/, "");
const quantity = (hex) => `0x${BigInt(hex).toString(16)}`;
const word = (hex) => `0x${bare(quantity(hex)).padStart(64, "0")}`;
const toNumber = (hex) => Number(BigInt(hex));

const blockKey = (n) => `b:${pad(n)}`;
const logsKey = (n) => `l:${pad(n)}`;
const hashKey = (hash) => `h:${bare(hash)}`;
const txKey = (hash) => `t:${bare(hash)}`;
const receiptKey = (hash) => `r:${bare(hash)}`;
const accountKey = (address) => `a:${bare(address)}`;
const storageKey = (address, slot) => `s:${bare(address)}${bare(word(slot))}`;
const sinceKey = (address, slot) => `S:${bare(address)}${bare(word(slot))}`;

class Archive {
  constructor(dir, db, headerRecord, meta) {
    this.dir = dir;
    this.db = db;
    this.headerRecord = headerRecord; // the m:format record
    this.meta = meta; // the m:head record, or null for an empty archive
    this.queue = Promise.resolve(); // commits run one at a time
    this.server = null;
  }

  /** Opens (or creates) the archive in `dir` for a chain with `header`, and verifies its head. */
  static async open(dir, header) {
    const db = new ClassicLevel(dir, { keyEncoding: "utf8", valueEncoding: "json" });
    try {
      await db.open();
      const stored = await db.get("m:format");
      const expected = { format: ARCHIVE_FORMAT, ...pick(header) };
      if (stored === undefined) {
        await db.put("m:format", expected);
        return new Archive(dir, db, expected, null);
      }
      checkHeader(dir, stored, expected);
      const meta = (await db.get("m:head")) ?? null;
      if (meta !== null) await verifyHead(db, meta);
      return new Archive(dir, db, stored, meta);
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  /** The last block archived as {number, hash, timestamp}, or null when there is none. */
  head() {
    if (this.meta === null) return null;
    const { number, hash, timestamp } = this.meta;
    return { number, hash, timestamp };
  }

  /** Counters kept in meta: no scan. */
  stats() {
    const { blocks = 0, transactions = 0, logs = 0 } = this.meta ?? {};
    return { head: this.head(), blocks, transactions, logs };
  }

  /**
   * Appends `blocks` (contiguous after the head) with their receipts, and upserts the state at
   * the new head, in one atomic batch.  `blocks` may be empty once the archive has a head: the
   * state at the head changed without a block (hardhat_setBalance and the like).
   */
  commit(batch) {
    const run = this.queue.then(() => this.#commit(batch));
    this.queue = run.catch(() => {});
    return run;
  }

  async #commit({ blocks, receipts = [], accounts = [], storage = [] }) {
    checkContiguous(this.meta, blocks);
    const byTx = new Map(receipts.map((r) => [bare(r.transactionHash), r]));
    const ops = [];
    const meta = { ...(this.meta ?? { blocks: 0, transactions: 0, logs: 0 }) };
    for (const block of blocks) {
      const number = toNumber(block.number);
      const logs = [];
      for (const tx of block.transactions) {
        const receipt = byTx.get(bare(tx.hash));
        if (receipt === undefined) {
          throw new ArchiveError("ARCHIVE_BAD_COMMIT", `transaction ${tx.hash} of block ${number} has no receipt; pass the eth_getTransactionReceipt of every transaction`);
        }
        ops.push({ type: "put", key: txKey(tx.hash), value: tx });
        ops.push({ type: "put", key: receiptKey(tx.hash), value: receipt });
        logs.push(...receipt.logs.map((log) => ({ ...log, address: log.address.toLowerCase() })));
      }
      const stored = { ...block, transactions: block.transactions.map((tx) => tx.hash) };
      ops.push({ type: "put", key: blockKey(number), value: stored });
      ops.push({ type: "put", key: hashKey(block.hash), value: pad(number) });
      if (logs.length > 0) ops.push({ type: "put", key: logsKey(number), value: logs });
      meta.blocks += 1;
      meta.transactions += block.transactions.length;
      meta.logs += logs.length;
    }
    const lastBlock = blocks[blocks.length - 1];
    const since = lastBlock !== undefined ? toNumber(lastBlock.number) : this.meta.number;
    for (const { address, balance, nonce, code } of accounts) {
      const value = { balance: quantity(balance), nonce: quantity(nonce), code: code.toLowerCase(), since };
      ops.push({ type: "put", key: accountKey(address), value });
    }
    for (const { address, slot, value } of storage) {
      const key = storageKey(address, slot);
      const stored = word(value);
      ops.push(stored === ZERO_WORD ? { type: "del", key } : { type: "put", key, value: stored });
      ops.push({ type: "put", key: sinceKey(address, slot), value: since });
    }
    if (lastBlock !== undefined) {
      Object.assign(meta, { number: toNumber(lastBlock.number), hash: lastBlock.hash.toLowerCase(), timestamp: toNumber(lastBlock.timestamp) });
    }
    ops.push({ type: "put", key: "m:head", value: meta });
    await this.db.batch(ops);
    // The network forked at the old head may still ask for state there (see stateFloor).
    if (this.meta !== null && this.stateFrom === undefined) this.stateFrom = this.meta.number;
    this.meta = meta;
    const bytes = ops.reduce((sum, op) => sum + op.key.length + (op.value === undefined ? 0 : JSON.stringify(op.value).length), 0);
    return { head: this.head(), bytes };
  }

  /**
   * The oldest block at which an account or slot written without `since` (an archive of an
   * earlier version) is answered: the head the archive had when this process opened it.
   */
  stateFloor() {
    const head = this.head();
    if (head === null) return null;
    return this.stateFrom === undefined ? head.number : Math.min(this.stateFrom, head.number);
  }

  /** Starts the JSON-RPC server on 127.0.0.1 (`port` 0 = any free port); returns its URL. */
  async serve({ port = 0, onRequest = null } = {}) {
    const { ArchiveServer } = require("./archive-rpc");
    this.server = new ArchiveServer(this, { onRequest });
    return this.server.listen(port);
  }

  /** Stops the server (if any) and closes the database. */
  async close() {
    if (this.server !== null) await this.server.close();
    this.server = null;
    await this.queue;
    await this.db.close();
  }

  // Reads used by the JSON-RPC server; each returns null when the archive has no such thing.

  async blockByNumber(number) {
    return (await this.db.get(blockKey(number))) ?? null;
  }

  async blockNumberOfHash(hash) {
    const number = await this.db.get(hashKey(hash));
    return number === undefined ? null : Number.parseInt(number, 16);
  }

  async transactions(hashes) {
    return this.db.getMany(hashes.map(txKey));
  }

  async receipts(hashes) {
    return this.db.getMany(hashes.map(receiptKey));
  }

  async account(address) {
    return (await this.db.get(accountKey(address))) ?? null;
  }

  /** {value, since} of a slot at the head; since is null if never written (or not recorded). */
  async storage(address, slot) {
    const [value, since] = await this.db.getMany([storageKey(address, slot), sinceKey(address, slot)]);
    return { value: value ?? ZERO_WORD, since: since ?? (value === undefined ? null : undefined) };
  }

  /**
   * Yields [number, logs] for every block in from..to (inclusive) that has logs.  With
   * `anyOf` (lower-case strings) a block whose stored JSON contains none of them is skipped
   * unparsed: a filter on a few addresses reads far less than the whole range.
   */
  async *logsIn(from, to, anyOf = null) {
    const range = { gte: logsKey(from), lte: logsKey(to), valueEncoding: "utf8" };
    for await (const [key, text] of this.db.iterator(range)) {
      if (anyOf !== null && !anyOf.some((needle) => text.includes(needle))) continue;
      yield [Number.parseInt(key.slice(2), 16), JSON.parse(text)];
    }
  }
}

const pick = (header) => Object.fromEntries(HEADER_KEYS.map((k) => [k, header[k]]));

function checkHeader(dir, stored, expected) {
  if (stored.format !== ARCHIVE_FORMAT) {
    throw new ArchiveError("ARCHIVE_FORMAT", `archive ${dir} has format ${JSON.stringify(stored.format)}, this node reads ${ARCHIVE_FORMAT}; open it with the node version that wrote it or start from a new directory`);
  }
  for (const key of HEADER_KEYS) {
    if (stored[key] !== expected[key]) {
      throw new ArchiveError("ARCHIVE_FOREIGN", `archive ${dir} belongs to another chain: its ${key} is ${JSON.stringify(stored[key])}, this node's is ${JSON.stringify(expected[key])}; point the node at its own archive directory`);
    }
  }
}

async function verifyHead(db, meta) {
  const where = `the archive's head block ${meta.number}`;
  const block = await db.get(blockKey(meta.number));
  if (block === undefined) throw new ArchiveError("ARCHIVE_CORRUPT", `${where} is missing; restore the archive from a copy or rebuild it`);
  let rehashed;
  try {
    rehashed = headerHash(block);
  } catch (err) {
    throw new ArchiveError("ARCHIVE_CORRUPT", `${where} is malformed (${err.message}); restore the archive from a copy or rebuild it`);
  }
  if (String(block.hash).toLowerCase() !== meta.hash || rehashed !== meta.hash) {
    throw new ArchiveError("ARCHIVE_CORRUPT", `${where} does not match: meta says ${meta.hash}, the block says ${block.hash}, its header hashes to ${rehashed}; restore the archive from a copy or rebuild it`);
  }
}

/** Refuses blocks that do not extend the head one by one, or whose header is not their hash. */
function checkContiguous(meta, blocks) {
  if (!Array.isArray(blocks) || (blocks.length === 0 && meta === null)) {
    throw new ArchiveError("ARCHIVE_BAD_COMMIT", "the first commit needs blocks from 0 (eth_getBlockByNumber(n, true) objects); later commits may pass blocks: [] to update state only");
  }
  let expected = meta === null ? 0 : meta.number + 1;
  let parent = meta === null ? null : meta.hash;
  for (const block of blocks) {
    const number = toNumber(block.number);
    if (number !== expected || (parent !== null && block.parentHash.toLowerCase() !== parent)) {
      throw new ArchiveError("ARCHIVE_NOT_CONTIGUOUS", `block ${number} (parent ${block.parentHash}) does not follow block ${expected - 1} (${parent}); commit block ${expected} next, whose parentHash is the head's hash`);
    }
    if (block.transactions.some((tx) => typeof tx !== "object")) {
      throw new ArchiveError("ARCHIVE_BAD_COMMIT", `block ${number} lists transaction hashes only; fetch it with eth_getBlockByNumber(n, true)`);
    }
    if (headerHash(block) !== block.hash.toLowerCase()) {
      throw new ArchiveError("ARCHIVE_BAD_COMMIT", `block ${number}'s header fields do not hash to its hash ${block.hash}; commit the block exactly as eth_getBlockByNumber returned it`);
    }
    expected = number + 1;
    parent = block.hash.toLowerCase();
  }
}

module.exports = { Archive, ArchiveError, ARCHIVE_FORMAT };
