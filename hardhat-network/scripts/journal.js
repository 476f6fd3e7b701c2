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
//
// With an archive (scripts/archive.js, scripts/snapshot.js) the journal holds only what happened
// since the archive's head: its header names that block (`base`), the node forks from the
// archive there and replays the journal on top.  A snapshot writes the archive first, then
// replaces the journal with an empty one based on the new head (written aside, then renamed), so
// a crash between the two leaves an older journal whose entries up to the archive's head are
// skipped on the next start.
const { EventEmitter } = require("node:events");
const fs = require("node:fs");
const path = require("node:path");
const { ProviderError } = require("hardhat/internal/core/providers/errors");
const { HISTORICAL, historical } = require("./history");
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

// Takes a snapshot into the archive at once (tests, benchmarks, an operator before a backup).
const SNAPSHOT_METHOD = "quancheng_snapshot";

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
    this.syncing = false; // a background fsync is in flight
    this.header = null;
    this.base = null; // the archive block this journal continues from ({number, hash}), or null
    this.entriesSinceBase = 0;
    this.onReplay = null; // (method, params) => void, for each entry replayed
  }

  /**
   * Replays the journal into `provider` and opens it for appending.  `base` is the archive's
   * head ({number, hash}) the provider was forked at, or null for a network fresh from genesis.
   */
  async open(provider, header, base = null) {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    this.header = header;
    let stats = { entries: 0, blocks: 0, skipped: 0 };
    let rotate = false;
    if (fs.existsSync(this.file)) {
      stats = await this._replay(provider, header, base);
      rotate = base !== null && (this.base === null || this.base.number !== base.number);
    } else if (base !== null) {
      // The journal is renamed into place, never deleted: without it, whatever was acknowledged
      // after the archive's head would be silently lost.
      throw new JournalError(
        "JOURNAL_MISSING",
        `${this.file}: missing, but the archive beside it ends at block ${base.number}; restore the journal`,
      );
    } else {
      this._writeHeader(this.file, null, "wx");
    }
    if (rotate) this._rotateFile(base); // the archive is ahead of this journal: start one at its head
    this.base = base;
    this.entriesSinceBase = stats.entries;
    this.fd = fs.openSync(this.file, "a");
    if (this.fsyncMode === "interval") {
      this.timer = setInterval(() => this._syncInBackground(), 200);
      this.timer.unref();
    }
    return stats;
  }

  /** Replaces the journal with an empty one based on the archive's new head (under the lock). */
  rotate(base) {
    if (this.fd !== null) {
      fs.fsyncSync(this.fd);
      fs.closeSync(this.fd);
      this.fd = null;
    }
    this._rotateFile(base);
    this.base = base;
    this.entriesSinceBase = 0;
    this.dirty = false;
    this.fd = fs.openSync(this.file, "a");
  }

  _rotateFile(base) {
    const aside = `${this.file}.next`;
    this._writeHeader(aside, base, "w");
    fs.renameSync(aside, this.file);
    const dir = fs.openSync(path.dirname(this.file), "r");
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
  }

  _writeHeader(file, base, flag) {
    const first = { format: FORMAT, ...this.header, createdAt: new Date().toISOString() };
    if (base !== null) first.base = { number: base.number, hash: base.hash };
    const fd = fs.openSync(file, flag);
    try {
      fs.writeSync(fd, `${JSON.stringify(first)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  append(entry) {
    fs.writeSync(this.fd, `${JSON.stringify(entry)}\n`);
    this.entriesSinceBase += 1;
    if (this.fsyncMode === "always") fs.fsyncSync(this.fd);
    else this.dirty = true;
  }

  sync() {
    if (this.fd !== null && this.dirty) {
      fs.fsyncSync(this.fd);
      this.dirty = false;
    }
  }

  // The periodic fsync runs off the event loop: on a busy disk one can take a second, and a
  // synchronous one stalled every request the node was serving meanwhile (a gateway's view
  // fell past its freshness bound).  Each entry is written before its request is answered,
  // so a killed node loses nothing either way; this only bounds what a power cut can take.
  _syncInBackground() {
    if (this.fd === null || !this.dirty || this.syncing) return;
    this.dirty = false;
    this.syncing = true;
    fs.fsync(this.fd, () => {
      this.syncing = false;
    });
  }

  close() {
    if (this.timer) clearInterval(this.timer);
    if (this.fd !== null) {
      this.sync();
      fs.closeSync(this.fd);
      this.fd = null;
    }
  }

  async _replay(provider, header, base) {
    const lines = readLines(this.file);
    const first = lines.next();
    this.base = this._checkHeader(first.done ? null : first.value, header, base);
    // Entries up to the archive's head are in the archive already (a crash came between a
    // snapshot's archive commit and its new journal); the block at the head must be the same.
    const skipTo = base !== null && (this.base === null || this.base.number < base.number) ? base.number : -1;
    let entries = 0;
    let blocks = 0;
    let skipped = 0;
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
      if (entry.n <= skipTo) {
        if (entry.n === skipTo && entry.n > entry.b && entry.h !== base.hash) {
          throw new JournalError(
            "JOURNAL_FOREIGN",
            `${this.file}: block ${entry.n} is ${entry.h} here but ${base.hash} in the archive`,
          );
        }
        this._track(entry);
        skipped += 1;
        continue;
      }
      await this._replayEntry(provider, entry, `byte ${line.start}`);
      entries += 1;
      if (entry.n > entry.b) blocks += 1;
    }
    await this._setAutomine(provider, this.automine);
    await this._restoreClock(provider);
    return { entries, blocks, skipped };
  }

  /** Replays the entries since the base again, into a network forked anew there (a retrace). */
  async replayAgain(provider) {
    return this._replay(provider, this.header, this.base);
  }

  /** After the network was forked anew at a snapshot: its mining mode and clock as before. */
  async afterFork(provider) {
    this.replayAutomine = this.automine; // a new network starts in the configured mode
    await this._restoreClock(provider);
  }

  _checkHeader(line, header, base) {
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
    const own = first.base ? { number: Number(first.base.number), hash: String(first.base.hash) } : null;
    if (own !== null && base === null) {
      throw new JournalError(
        "ARCHIVE_MISSING",
        `${this.file}: journal continues from block ${own.number} of an archive, but the state directory has none`,
      );
    }
    if (own !== null && own.number > base.number) {
      throw new JournalError(
        "ARCHIVE_BEHIND",
        `${this.file}: journal continues from block ${own.number}, the archive ends at block ${base.number}`,
      );
    }
    if (own !== null && own.number === base.number && own.hash !== base.hash) {
      throw new JournalError(
        "JOURNAL_FOREIGN",
        `${this.file}: journal continues from block ${own.number} ${own.hash}, the archive has ${base.hash} there`,
      );
    }
    return own;
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
    if (this.onReplay !== null) this.onReplay(entry.m, entry.p);
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

/**
 * An EIP-1193 provider that serialises and journals the requests that change state.
 *
 * Subscriptions (eth_subscribe) are relayed under ids of its own: a snapshot replaces the
 * network underneath, whose subscriptions die with it, and `resubscribe` makes them again on
 * the new one — a client's subscription keeps its id and its notifications, and an id is never
 * given twice.
 */
class JournaledProvider extends EventEmitter {
  constructor(inner, journal, snapshots = null) {
    super();
    this.inner = inner;
    this.journal = journal;
    this.snapshots = snapshots; // scripts/snapshot.js Snapshots, when the node keeps an archive
    this.snapshotQueued = false;
    this.queue = Promise.resolve();
    this.subscriptions = new Map(); // our id -> {params, inner: the network's id}
    this.ours = new Map(); // the network's id -> our id
    this.lastSubscription = 0;
    inner.on("notification", (payload) => {
      const subscription = this.ours.get(payload.subscription);
      if (subscription !== undefined) this.emit("notification", { ...payload, subscription });
    });
    inner.on("message", (message) => {
      const subscription = message.data && this.ours.get(message.data.subscription);
      if (subscription !== undefined) this.emit("message", { ...message, data: { ...message.data, subscription } });
    });
  }

  async _subscribe(params) {
    const innerId = await this.inner.request({ method: "eth_subscribe", params });
    this.lastSubscription += 1;
    const id = `0x${this.lastSubscription.toString(16)}`;
    this.subscriptions.set(id, { params, inner: innerId });
    this.ours.set(innerId, id);
    return id;
  }

  async _unsubscribe(params) {
    const found = this.subscriptions.get(params[0]);
    if (found === undefined) return false;
    this.subscriptions.delete(params[0]);
    this.ours.delete(found.inner);
    return this.inner.request({ method: "eth_unsubscribe", params: [found.inner] });
  }

  /** Makes every relayed subscription again on the network that replaced the previous one. */
  async resubscribe() {
    this.ours.clear();
    for (const [id, subscription] of this.subscriptions) {
      subscription.inner = await this.inner.request({ method: "eth_subscribe", params: subscription.params });
      this.ours.set(subscription.inner, id);
    }
  }

  async request(args) {
    if (args.method === "eth_subscribe") return this._subscribe(args.params === undefined ? [] : args.params);
    if (args.method === "eth_unsubscribe") return this._unsubscribe(args.params === undefined ? [] : args.params);
    if (REFUSED.has(args.method)) {
      throw new ProviderError(
        `${args.method} is not supported by the journaled 泉城链 node: it would make the chain unrecoverable after a restart`,
        REFUSED_CODE,
      );
    }
    if (args.method === SNAPSHOT_METHOD) return this.snapshot();
    if (HISTORICAL.has(args.method) && this.snapshots !== null) {
      const { archive, tracker } = this.snapshots;
      return historical(this.inner, archive, tracker.forkBlock, args.method, args.params === undefined ? [] : args.params);
    }
    if (!JOURNALED.has(args.method)) return this.inner.request(args);
    const run = this.queue.then(() => this._journaled(args));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Takes a snapshot now, after the requests before it (quancheng_snapshot). */
  snapshot() {
    if (this.snapshots === null) {
      return Promise.reject(new ProviderError("this node keeps no archive (started without --archive)", REFUSED_CODE));
    }
    const run = this.queue.then(() => this.snapshots.take({ requested: true }));
    this.queue = run.catch(() => undefined);
    return run;
  }

  // A snapshot runs on the lock after the request that made it due; that request's answer does
  // not wait for it, the requests after it do.
  _scheduleSnapshot() {
    // Under interval mining the pool is rarely empty between requests: the sealer snapshots
    // right after it seals, in the same turn of the lock (sealPending).
    if (!this.journal.automine) return;
    if (this.snapshots === null || this.snapshotQueued || !this.snapshots.due) return;
    this.snapshotQueued = true;
    const run = this.queue.then(() => this.snapshots.take()).finally(() => {
      this.snapshotQueued = false;
    });
    this.queue = run.catch((err) => {
      this.snapshots.log(`snapshot failed: ${err && err.stack ? err.stack : err}`);
    });
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
    if (changed) {
      this.journal.append(entry);
      if (this.snapshots !== null) {
        this.snapshots.tracker.request(args.method, params);
        this._scheduleSnapshot();
      }
    }
    if (error !== undefined) throw error;
    return result;
  }

  /** Seals a block of the pooled transactions, as a validator does each block period. */
  sealPending() {
    const run = this.queue.then(async () => {
      const pending = await this.inner.request({ method: "eth_getBlockByNumber", params: ["pending", false] });
      if (pending.transactions.length === 0) return null; // no empty blocks: see node.js
      const sealed = await this._journaled({ method: "evm_mine", params: [] });
      if (this.snapshots !== null && this.snapshots.due) {
        await this.snapshots.take().catch((err) => this.snapshots.log(`snapshot failed: ${err && err.stack ? err.stack : err}`));
      }
      return sealed;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async _blockNumber() {
    return toNumber(await this.inner.request({ method: "eth_blockNumber", params: [] }));
  }
}

module.exports = { Journal, JournalError, JournaledProvider, JOURNALED, REFUSED };
