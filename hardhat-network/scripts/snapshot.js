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
// Which slots changed is learnt from EDR's raw traces (scripts/edr-patches.js): every message's
// caller and callee, every created contract, every SSTORE's key (the top of the stack at that
// step) in the storage of the frame that ran it, every SELFDESTRUCT's beneficiary.  A slot noted
// but not changed (a reverted write) costs one extra read; a changed slot is never missed.
const { readChain } = require("./archive-copy");

const hex = (bytes) => `0x${Buffer.from(bytes).toString("hex")}`;
const slotHex = (value) => `0x${value.toString(16).padStart(64, "0")}`;

/** The accounts and storage slots the transactions since the last snapshot may have changed. */
class Tracker {
  constructor() {
    this.accounts = new Set();
    this.slots = new Map(); // address -> Set of slot hex
  }

  get size() {
    let n = this.accounts.size;
    for (const slots of this.slots.values()) n += slots.size;
    return n;
  }

  clear() {
    this.accounts.clear();
    this.slots.clear();
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
          if (created) this.account(hex(created));
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
    this.pause = pause; // {stage, ms}: holds the snapshot there, so a test can kill the node in it
    this.taken = 0;
  }

  /** True when the journal since the archive's head is long enough to snapshot. */
  get due() {
    return this.every > 0 && this.journal.entriesSinceBase >= this.every;
  }

  async _stage(name) {
    if (this.pause !== null && this.pause.stage === name) {
      this.log(`snapshot: ${name}; pausing ${this.pause.ms} ms`);
      await sleep(this.pause.ms);
    }
  }

  /**
   * Writes the chain since the last snapshot to the archive and continues from there.  Returns
   * what was written, or null when there is nothing to write or transactions wait in the pool
   * (a fork would drop them; the next sealed block retries).
   */
  async take() {
    const t0 = Date.now();
    const pending = await this.inner.request({ method: "eth_getBlockByNumber", params: ["pending", false] });
    if (pending.transactions.length > 0) return null;
    const base = this.journal.base === null ? -1 : this.journal.base.number;
    const coinbase = await this.inner.request({ method: "eth_coinbase", params: [] });
    this.tracker.account(coinbase); // collects every block's fees
    const data = await collect(this.inner, base, this.tracker);
    if (data.head === base && this.journal.entriesSinceBase === 0) return null;
    await this.archive.commit({
      blocks: data.blocks, receipts: data.receipts, accounts: data.accounts, storage: data.storage,
    });
    await this._stage("archive committed");
    const head = { number: data.head, hash: data.headHash };
    try {
      this.journal.rotate(head);
      await this._stage("journal rotated");
      await this.fork(head);
    } catch (err) {
      // The archive and journal now say the chain continues from `head`, but this network was
      // not forked there: blocks it made would not replay.  A restart continues correctly.
      this.log(`snapshot could not continue from block ${head.number}; stopping: ${err && err.stack ? err.stack : err}`);
      process.exit(1);
    }
    this.tracker.clear();
    this.taken += 1;
    const written = {
      head: data.head, blocks: data.blocks.length, transactions: data.receipts.length,
      accounts: data.accounts.length, slots: data.storage.length, ms: Date.now() - t0,
    };
    this.log(`snapshot at block ${written.head}: ${written.blocks} blocks, ${written.transactions} transactions, `
      + `${written.accounts} accounts, ${written.slots} slots in ${written.ms} ms`);
    return written;
  }
}

module.exports = { Tracker, Snapshots, collect };
