// Write-ahead journal of the state-changing JSON-RPC requests of a Hardhat network.
//
// Hardhat keeps its chain in memory only. Every request that can change state is executed
// under one lock, in order, and appended to a JSON-lines file together with the number and
// timestamp of the block it produced. On start the journal is replayed into a fresh network
// from the same genesis, each block at its recorded timestamp, so that blocks, receipts, logs
// and storage come back identical; the replay checks every block hash against the record and
// refuses to serve a chain that diverged (a JournalError with a stable code).  The file is read
// streamed, line by line (scripts/lines.js), so its size is bounded by the disk, not by
// Node's largest string.  Under interval mining a transaction is journaled when the pool
// accepts it, before its hash is returned, and the block that seals it is journaled as an
// evm_mine entry.
const fs = require("node:fs");
const path = require("node:path");
const { ProviderError } = require("hardhat/internal/core/providers/errors");
const { readLines } = require("./lines");

const FORMAT = "quancheng-node-journal/1";

// Requests that may change chain state; they are serialised and journaled.
const JOURNALED = new Set([
  "eth_sendRawTransaction",
  "eth_sendTransaction",
  "evm_mine",
  "evm_increaseTime",
  "evm_setNextBlockTimestamp",
  "hardhat_setBalance",
  "hardhat_setCode",
  "hardhat_setNonce",
  "hardhat_setStorageAt",
]);

// Requests that would make the journal lie about the chain (history rewritten, blocks mined
// outside a request, state depending on unjournaled modes); refused with a clear error.
const REFUSED = new Set([
  "evm_snapshot",
  "evm_revert",
  "hardhat_reset",
  "hardhat_mine",
  "evm_setAutomine",
  "evm_setIntervalMining",
  "hardhat_dropTransaction",
  "hardhat_impersonateAccount",
  "hardhat_stopImpersonatingAccount",
  "hardhat_setCoinbase",
  "hardhat_setPrevRandao",
  "hardhat_setNextBlockBaseFeePerGas",
  "hardhat_setMinGasPrice",
]);

// -32005 is not used by Hardhat; a distinct code lets clients tell this refusal apart.
const REFUSED_CODE = -32005;

const toNumber = (hex) => Number.parseInt(hex, 16);

/** A journal the node refuses to serve from; `code` is stable (see quancheng_node.errors). */
class JournalError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

class Journal {
  constructor(file, { fsync = "interval", automine = true } = {}) {
    this.file = path.resolve(file);
    this.fsyncMode = fsync; // "always" | "interval" | "never"
    this.fd = null;
    this.dirty = false;
    this.timer = null;
    this.offset = null; // block time minus wall-clock time (s), as the journal last implied it
    this.automine = automine; // the mode the node serves in after replay
    this.replayAutomine = automine; // the replay network's mode (it starts as configured)
  }

  /** Replays the journal into `provider` (a fresh network) and opens it for appending. */
  async open(provider, header) {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    let stats = { entries: 0, blocks: 0 };
    if (fs.existsSync(this.file)) {
      stats = await this._replay(provider, header);
    } else {
      const first = { format: FORMAT, ...header, createdAt: new Date().toISOString() };
      fs.writeFileSync(this.file, `${JSON.stringify(first)}\n`, { flag: "wx" });
    }
    this.fd = fs.openSync(this.file, "a");
    if (this.fsyncMode === "interval") {
      this.timer = setInterval(() => this.sync(), 200);
      this.timer.unref();
    }
    return stats;
  }

  append(entry) {
    fs.writeSync(this.fd, `${JSON.stringify(entry)}\n`);
    if (this.fsyncMode === "always") fs.fsyncSync(this.fd);
    else this.dirty = true;
  }

  sync() {
    if (this.fd !== null && this.dirty) {
      fs.fsyncSync(this.fd);
      this.dirty = false;
    }
  }

  close() {
    if (this.timer) clearInterval(this.timer);
    if (this.fd !== null) {
      this.sync();
      fs.closeSync(this.fd);
      this.fd = null;
    }
  }

  async _replay(provider, header) {
    const lines = readLines(this.file);
    const first = lines.next();
    this._checkHeader(first.done ? null : first.value, header);
    let entries = 0;
    let blocks = 0;
    for (const line of lines) {
      // A crash can leave a torn last line: it was never acknowledged, so it is dropped.
      if (!line.terminated) {
        fs.truncateSync(this.file, line.start);
        break;
      }
      let entry;
      try {
        entry = JSON.parse(line.text);
      } catch (err) {
        throw new JournalError("JOURNAL_CORRUPT", `${this.file}: corrupt journal entry at byte ${line.start}`);
      }
      await this._replayEntry(provider, entry, `byte ${line.start}`);
      entries += 1;
      if (entry.n > entry.b) blocks += 1;
    }
    await this._setAutomine(provider, this.automine);
    await this._restoreClock(provider);
    return { entries, blocks };
  }

  _checkHeader(line, header) {
    let first = null;
    try {
      first = line && line.terminated ? JSON.parse(line.text) : null;
    } catch (err) {
      first = null;
    }
    if (!first || first.format !== FORMAT) {
      throw new JournalError("JOURNAL_FORMAT", `${this.file}: not a ${FORMAT} journal (move it away to start an empty chain)`);
    }
    for (const key of ["chainId", "hardfork", "genesisDate"]) {
      if (String(first[key]) !== String(header[key])) {
        throw new JournalError(
          "JOURNAL_FOREIGN",
          `${this.file}: journal was made with ${key}=${first[key]}, node is configured with ${header[key]}`,
        );
      }
    }
  }

  // Under interval mining a transaction is journaled when it enters the pool (its entry has
  // no block) and mined by a later evm_mine entry; under automine its entry carries its
  // block.  Replay follows each entry's mode, so a journal written across a change of mode
  // rebuilds the same chain.
  async _setAutomine(provider, on) {
    if (this.replayAutomine === on) return;
    await provider.request({ method: "evm_setAutomine", params: [on] });
    this.replayAutomine = on;
  }

  async _replayEntry(provider, entry, where) {
    this._track(entry);
    if (entry.m === "evm_increaseTime" || entry.m === "evm_setNextBlockTimestamp") {
      return; // block timestamps are replayed explicitly below; the clock is restored at the end
    }
    if (entry.m.startsWith("eth_send")) await this._setAutomine(provider, entry.n > entry.b);
    if (entry.n > entry.b) {
      await provider.request({ method: "evm_setNextBlockTimestamp", params: [entry.t] });
    }
    try {
      await provider.request({ method: entry.m, params: entry.p });
    } catch (err) {
      if (entry.ok !== false) {
        throw new JournalError("JOURNAL_DIVERGED", `journal ${where}: ${entry.m} failed on replay: ${err.message}`);
      }
    }
    if (entry.n > entry.b) {
      const block = await provider.request({ method: "eth_getBlockByNumber", params: ["latest", false] });
      if (toNumber(block.number) !== entry.n || block.hash !== entry.h) {
        throw new JournalError(
          "JOURNAL_DIVERGED",
          `journal ${where}: replay diverged at block ${entry.n} (hash ${block.hash}, journal ${entry.h})`,
        );
      }
    }
  }

  // Follows the node's time offset (block time minus wall-clock time) through the journal.
  _track(entry) {
    if (entry.m === "evm_increaseTime" && entry.r !== undefined) this.offset = Number(entry.r);
    if (entry.n > entry.b && entry.t !== undefined) this.offset = entry.t - Math.floor(entry.w / 1000);
  }

  // After replay the blocks carry their recorded times; new blocks must continue with the
  // offset the node had before it stopped, not jump back to the replay's timestamps.
  async _restoreClock(provider) {
    if (this.offset === null) return;
    const current = Number(await provider.request({ method: "evm_increaseTime", params: [0] }));
    const delta = this.offset - current;
    if (delta > 0) await provider.request({ method: "evm_increaseTime", params: [delta] });
  }
}

/** An EIP-1193 provider that serialises and journals the requests that change state. */
class JournaledProvider {
  constructor(inner, journal) {
    this.inner = inner;
    this.journal = journal;
    this.queue = Promise.resolve();
  }

  on(...a) { return this.inner.on(...a); }
  once(...a) { return this.inner.once(...a); }
  off(...a) { return this.inner.off(...a); }
  removeListener(...a) { return this.inner.removeListener(...a); }
  addListener(...a) { return this.inner.addListener(...a); }
  emit(...a) { return this.inner.emit(...a); }
  listenerCount(...a) { return this.inner.listenerCount(...a); }

  async request(args) {
    if (REFUSED.has(args.method)) {
      throw new ProviderError(
        `${args.method} is not supported by the journaled 泉城链 node: it would make the chain unrecoverable after a restart`,
        REFUSED_CODE,
      );
    }
    if (!JOURNALED.has(args.method)) return this.inner.request(args);
    const run = this.queue.then(() => this._journaled(args));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async _journaled(args) {
    const params = args.params === undefined ? [] : args.params;
    const before = await this._blockNumber();
    let result;
    let error;
    try {
      result = await this.inner.request({ method: args.method, params });
    } catch (err) {
      error = err;
    }
    const entry = { m: args.method, p: params, b: before, n: before, w: Date.now() };
    const producesBlock = args.method.startsWith("eth_send") || args.method === "evm_mine";
    if (producesBlock) {
      const block = await this.inner.request({ method: "eth_getBlockByNumber", params: ["latest", false] });
      entry.n = toNumber(block.number);
      if (entry.n > before) {
        entry.t = toNumber(block.timestamp);
        entry.h = block.hash;
      }
    }
    if (args.method === "evm_increaseTime" && error === undefined) entry.r = Number(result);
    if (error !== undefined) entry.ok = false;
    // A failed request that changed nothing is not worth replaying; a transaction accepted
    // into the pool under interval mining changed the pool and is journaled before its ack.
    const changed = entry.n > before || error === undefined;
    if (changed) this.journal.append(entry);
    if (error !== undefined) throw error;
    return result;
  }

  /** Seals a block of the pooled transactions, as a validator does each block period. */
  sealPending() {
    const run = this.queue.then(async () => {
      const pending = await this.inner.request({ method: "eth_getBlockByNumber", params: ["pending", false] });
      if (pending.transactions.length === 0) return null; // no empty blocks: see node.js
      return this._journaled({ method: "evm_mine", params: [] });
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async _blockNumber() {
    return toNumber(await this.inner.request({ method: "eth_blockNumber", params: [] }));
  }
}

module.exports = { Journal, JournalError, JournaledProvider, JOURNALED, REFUSED };
