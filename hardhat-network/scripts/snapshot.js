// Snapshots of the node's chain into its on-disk archive (scripts/archive.js).
//
// The journal alone makes a restart replay the whole chain.  Every so often the node instead
// writes what happened since the last snapshot into the archive — the blocks with their
// transactions and receipts, and the new value of every account and storage slot a transaction
// touched — and continues as a Hardhat fork of the archive at that block, with a fresh journal
// that starts there.  A restart then forks from the archive's head and replays only the journal
// since, so its time and the node's memory are bounded by the snapshot interval, not by the
// chain's length; blocks, receipts and logs before the head are served from the archive with
// their original hashes.
//
// Which accounts and slots changed is learnt from the archive itself: a network forked from it
// holds nothing of its own at first and fetches every account and slot it touches — an SSTORE
// reads the slot's original value (its gas depends on it), a transfer or a nonce reads the
// account — so what it fetched since the fork is a superset of what it changed.  The exception is
// a contract created since the fork, whose storage never came from the archive.  A transaction
// that creates one at top level is seen before it runs (`sent`): EDR's raw traces are read from
// then on (every SSTORE key, in the frame that ran it) and a snapshot is taken as soon as the
// pool allows, so the next fork fetches the new contract like any other.  A contract created
// by another contract is found at the snapshot instead (new code, or a contract's nonce moved,
// with no trace of it): the snapshot then forks again at the last one and replays the journal
// since with traces on (`retrace`).  Traces are read only then, and before the first snapshot
// of a chain started from genesis: handing a trace to JavaScript costs ~7 µs per EVM step, and
// an owner's approval checks an SM2 signature on chain in over a million steps.
const { readChain } = require("./archive-copy");
const nativeMemory = require("./native-memory");

const hex = (bytes) => `0x${Buffer.from(bytes).toString("hex")}`;
const slotHex = (value) => `0x${value.toString(16).padStart(64, "0")}`;

// What EDR asks a fork's remote for when it loads an account.
const ACCOUNT_FETCHES = new Set(["eth_getBalance", "eth_getTransactionCount", "eth_getCode"]);

/** Where an RLP item at `pos` of `buf` starts and ends: {start, length, next, list}. */
function rlpItem(buf, pos) {
  const b = buf[pos];
  if (b === undefined) throw new Error("truncated RLP");
  const long = (lengthOfLength, list) => {
    let length = 0;
    for (let i = 1; i <= lengthOfLength; i += 1) length = length * 256 + buf[pos + i];
    return { start: pos + 1 + lengthOfLength, length, next: pos + 1 + lengthOfLength + length, list };
  };
  if (b < 0x80) return { start: pos, length: 1, next: pos + 1, list: false };
  if (b <= 0xb7) return { start: pos + 1, length: b - 0x80, next: pos + 1 + b - 0x80, list: false };
  if (b <= 0xbf) return long(b - 0xb7, false);
  if (b <= 0xf7) return { start: pos + 1, length: b - 0xc0, next: pos + 1 + b - 0xc0, list: true };
  return long(b - 0xf7, true);
}

// The position of `to` in a signed transaction's fields: legacy, EIP-2930, EIP-1559.  Blob
// (type 3) and set-code (type 4) transactions always have a recipient.
const TO_FIELD = { legacy: 3, 1: 4, 2: 5 };

/** True when a signed raw transaction creates a contract (an empty `to`); true if unreadable. */
function rawCreates(raw) {
  try {
    const buf = Buffer.from(raw.slice(2), "hex");
    let pos = 0;
    let field = TO_FIELD.legacy;
    if (buf[0] <= 0x7f) {
      field = TO_FIELD[buf[0]];
      if (field === undefined) return false;
      pos = 1;
    }
    const list = rlpItem(buf, pos);
    if (!list.list) return true;
    let at = list.start;
    for (let i = 0; i < field; i += 1) at = rlpItem(buf, at).next;
    const to = rlpItem(buf, at);
    return !to.list && to.length === 0;
  } catch {
    return true; // EDR will refuse it; reading its traces costs nothing then
  }
}

/** True when an eth_sendTransaction / eth_sendRawTransaction request creates a contract. */
function createsContract(method, params) {
  if (!Array.isArray(params)) return false;
  if (method === "eth_sendRawTransaction") return typeof params[0] === "string" && rawCreates(params[0]);
  if (method === "eth_sendTransaction") {
    const tx = params[0];
    return tx !== null && typeof tx === "object" && (tx.to === undefined || tx.to === null || tx.to === "0x" || tx.to === "");
  }
  return false;
}

/** The accounts and storage slots the transactions since the last snapshot may have changed. */
class Tracker {
  constructor() {
    this.accounts = new Set();
    this.slots = new Map(); // address -> Set of slot hex
    this.tracing = false; // read EDR's raw traces (and snapshot as soon as possible)
    this.tracedFromStart = false; // traces were read since the last snapshot, all of them
    this.created = new Set(); // contracts whose creation the traces showed
    this.forkBlock = null; // the archive block the live network was forked at
  }

  get size() {
    let n = this.accounts.size;
    for (const slots of this.slots.values()) n += slots.size;
    return n;
  }

  /** Forgets everything: the next network starts fresh from the archive (a snapshot was written). */
  clear() {
    this.accounts.clear();
    this.slots.clear();
    this.created.clear();
    this.tracing = false;
    this.tracedFromStart = false;
  }

  /** Reads traces from now until the next snapshot; `fromStart`: every one since the last. */
  trace(fromStart = false) {
    this.tracing = true;
    if (fromStart) this.tracedFromStart = true;
  }

  /**
   * Notes what a network forked from the archive fetched from it (ArchiveServer onRequest).  The
   * live network asks at its fork block; a read at another block is a client's historical read
   * (or the replaced network's), which changes nothing here.
   */
  fetched(method, params) {
    if (!Array.isArray(params) || typeof params[0] !== "string") return;
    const tag = params[method === "eth_getStorageAt" ? 2 : 1];
    if (this.forkBlock !== null && typeof tag === "string" && /^0x[0-9a-fA-F]+$/.test(tag)
      && Number(BigInt(tag)) !== this.forkBlock) return;
    if (method === "eth_getStorageAt") {
      try {
        this.slot(params[0], slotHex(BigInt(params[1])));
      } catch {
        // not a slot: the archive answers it with an error, nothing was read
      }
    } else if (ACCOUNT_FETCHES.has(method)) {
      this.account(params[0]);
    }
  }

  /** Sees a transaction before EDR runs it: one that creates a contract turns traces on. */
  sent(method, params) {
    if (createsContract(method, params)) this.trace();
  }

  account(address) {
    this.accounts.add(address.toLowerCase());
  }

  slot(address, slot) {
    const a = address.toLowerCase();
    this.accounts.add(a);
    let slots = this.slots.get(a);
    if (!slots) {
      slots = new Set();
      this.slots.set(a, slots);
    }
    slots.add(slot);
  }

  /** Notes what a journaled request that sets state directly (hardhat_set*) touches. */
  request(method, params) {
    if (!method.startsWith("hardhat_set") || !Array.isArray(params) || typeof params[0] !== "string") return;
    if (method === "hardhat_setStorageAt") this.slot(params[0], slotHex(BigInt(params[1])));
    else this.account(params[0]);
  }

  /** Notes what the executed transactions of EDR raw `traces` touched. */
  traces(traces) {
    for (const raw of traces) {
      const frames = []; // {address, pending} per call depth; a create's address comes at its end
      for (const item of raw.trace) {
        if ("pc" in item) {
          const frame = frames[frames.length - 1];
          if (!frame || item.stack.length === 0) continue;
          const top = item.stack[item.stack.length - 1];
          if (item.opcode === "SSTORE") {
            if (frame.address) this.slot(frame.address, slotHex(top));
            else frame.pending.push(slotHex(top));
          } else if (item.opcode === "SELFDESTRUCT") {
            this.account(`0x${top.toString(16).padStart(40, "0")}`);
          }
        } else if ("executionResult" in item) {
          const frame = frames.pop();
          const created = item.executionResult.contractAddress;
          if (created) {
            this.account(hex(created));
            this.created.add(hex(created)); // lower-case, as Buffer's hex is
          }
          if (frame && !frame.address && created) {
            for (const slot of frame.pending) this.slot(hex(created), slot);
          }
        } else {
          this.account(hex(item.caller));
          const address = item.to ? hex(item.to) : null;
          if (address) this.account(address);
          frames.push({ address, pending: [] });
        }
      }
    }
  }
}

/**
 * Reads what a snapshot at the node's head must write to the archive: the blocks after `base`
 * with their receipts, and the current value of every tracked account and slot.
 */
async function collect(provider, base, tracker) {
  const request = (method, params) => provider.request({ method, params });
  const storage = [];
  for (const [address, slots] of tracker.slots) for (const slot of slots) storage.push({ address, slot });
  const head = base < 0 ? null : { number: base };
  const read = await readChain(request, head, { accounts: [...tracker.accounts], storage });
  const last = read.blocks.length > 0 ? read.blocks[read.blocks.length - 1]
    : await request("eth_getBlockByNumber", [`0x${read.last.toString(16)}`, false]);
  return { ...read, head: read.last, headHash: last.hash };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Takes snapshots of a journaled node into its archive.  `fork(head)` makes the node a fork of
 * the archive at `head` (hardhat_reset; node.js also closes the WebSocket subscriptions the old
 * network served).  Runs on the journal's lock: no request changes the chain meanwhile.
 */
class Snapshots {
  constructor({ inner, journal, archive, tracker, every, fork, log, pause = null }) {
    Object.assign(this, { inner, journal, archive, tracker, every, fork, log });
    this.pause = pause; // {stage, ms}: holds a requested snapshot there, so a test can kill the node in it
    this.taken = 0;
  }

  /** True when the journal since the archive's head is long enough to snapshot, or traces are on. */
  get due() {
    if (this.every === 0) return false;
    return this.journal.entriesSinceBase >= this.every || (this.tracker.tracing && this.journal.entriesSinceBase > 0);
  }

  async _stage(name, requested) {
    if (requested && this.pause !== null && this.pause.stage === name) {
      this.log(`snapshot: ${name}; pausing ${this.pause.ms} ms`);
      await sleep(this.pause.ms);
    }
  }

  /**
   * Writes the chain since the last snapshot to the archive and continues from there.  Returns
   * what was written, or null when there is nothing to write or transactions wait in the pool
   * (a fork would drop them; the next sealed block retries).  `requested`: by quancheng_snapshot.
   */
  async take({ requested = false } = {}) {
    const t0 = Date.now();
    const pending = await this.inner.request({ method: "eth_getBlockByNumber", params: ["pending", false] });
    if (pending.transactions.length > 0) return null;
    const base = this.journal.base === null ? -1 : this.journal.base.number;
    const coinbase = await this.inner.request({ method: "eth_coinbase", params: [] });
    this.tracker.account(coinbase); // collects every block's fees
    let data = await collect(this.inner, base, this.tracker);
    if (data.head === base && this.journal.entriesSinceBase === 0) return null;
    let retraced = false;
    if (this.journal.base !== null && !this.tracker.tracedFromStart) {
      const untraced = await this.untracedCreations(data.accounts);
      if (untraced.length > 0) {
        this.log(`snapshot: ${untraced.join(", ")} created by a contract since block ${base}, untraced; `
          + "replaying the journal since then with traces on");
        data = await this.retrace(coinbase);
        retraced = true;
      }
    }
    const traced = this.tracker.tracing;
    await this.archive.commit({
      blocks: data.blocks, receipts: data.receipts, accounts: data.accounts, storage: data.storage,
    });
    await this._stage("archive committed", requested);
    // What the next network fetches, from its fork on, is what the next snapshot writes.
    this.tracker.clear();
    const head = { number: data.head, hash: data.headHash };
    try {
      this.journal.rotate(head);
      await this._stage("journal rotated", requested);
      await this.fork(head);
    } catch (err) {
      // The archive and journal now say the chain continues from `head`, but this network was
      // not forked there: blocks it made would not replay.  A restart continues correctly.
      this.log(`snapshot could not continue from block ${head.number}; stopping: ${err && err.stack ? err.stack : err}`);
      process.exit(1);
    }
    this.taken += 1;
    const written = {
      head: data.head, blocks: data.blocks.length, transactions: data.receipts.length,
      accounts: data.accounts.length, slots: data.storage.length, ms: Date.now() - t0, traced, retraced,
    };
    this.log(`snapshot at block ${written.head}: ${written.blocks} blocks, ${written.transactions} transactions, `
      + `${written.accounts} accounts, ${written.slots} slots in ${written.ms} ms`
      + `${retraced ? " (replayed with traces)" : traced ? " (traced)" : ""}; ${memory()}`);
    return written;
  }

  /**
   * The contracts whose storage the archive would miss: code that is new or changed since the
   * archive's head without a trace of its creation, or a contract whose nonce moved (it created
   * one, which a later snapshot could not find).
   */
  async untracedCreations(accounts) {
    const found = [];
    for (const { address, nonce, code } of accounts) {
      if (code === "0x" || this.tracker.created.has(address.toLowerCase())) continue;
      const before = await this.archive.account(address);
      const moved = before !== null && before.code !== "0x" && BigInt(before.nonce) !== BigInt(nonce);
      if (before === null || before.code !== code.toLowerCase() || moved) found.push(address);
    }
    return found;
  }

  /**
   * Forks again at the archive's head and replays the journal since with traces on, so that
   * the storage of every contract created since is known; returns what to write.  Requests that
   * only read see the chain rebuilt meanwhile (a rare path: contracts created by contracts).
   */
  async retrace(coinbase) {
    this.tracker.clear();
    this.tracker.trace(true);
    await this.fork(this.journal.base);
    await this.journal.replayAgain(this.inner);
    this.tracker.account(coinbase);
    const base = this.journal.base.number;
    return collect(this.inner, base, this.tracker);
  }
}

/**
 * The process's memory in MiB: resident, V8 heap in use, and memory outside V8 it knows of; and
 * the full collections run for EDR's native memory so far (scripts/native-memory.js).
 */
function memory() {
  const { rss, heapUsed, external } = process.memoryUsage();
  const mib = (n) => Math.round(n / (1 << 20));
  return `memory rss ${mib(rss)} MiB, heap ${mib(heapUsed)} MiB, external ${mib(external)} MiB, `
    + `${nativeMemory.collections()} collections`;
}

module.exports = { Tracker, Snapshots, collect, createsContract };
