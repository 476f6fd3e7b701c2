// The archive's JSON-RPC server: what a Hardhat network forking from the archive asks for
// (blocks, transactions, receipts, logs, and state at the fork block, which is the head).
// Binds 127.0.0.1 only; single and batch requests; JSON-RPC 2.0 errors.
const http = require("node:http");

// The block number the archive reports as its latest: its head plus EDR's reorg-safety depth
// for a chain it does not know (DEFAULT_SAFE_BLOCK_DEPTH, 128).  EDR caches the answers of a
// fork only for blocks that deep; the archive's blocks are final (this chain never reorganises),
// and without the cache a network forked from it fetched every storage slot again on every
// call (eth_estimateGas of 400 cold slots: 2 s each time, against 25 ms unforked).  Only EDR
// asks; a block past the head is still not served.
const REORG_DEPTH = 128;

const MAX_BODY = 8 * 1024 * 1024;
const MAX_LOGS = 100_000;
// JSON-RPC error codes.
const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
const METHOD_NOT_FOUND = -32601;
const INVALID_PARAMS = -32602;
const SERVER_ERROR = -32000;
const LIMIT_EXCEEDED = -32005;

/** A JSON-RPC error answer; `data.code` carries the archive's stable code where there is one. */
class RpcError extends Error {
  constructor(code, message, archiveCode = null) {
    super(message);
    this.rpcCode = code;
    this.archiveCode = archiveCode;
  }
}

const HEX = /^0x[0-9a-fA-F]+$/;
const HASH = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const hex = (n) => `0x${n.toString(16)}`;

function expect(pattern, value, what) {
  if (typeof value !== "string" || !pattern.test(value)) {
    throw new RpcError(INVALID_PARAMS, `${what} ${JSON.stringify(value)} is not valid hex of the right length`);
  }
  return value.toLowerCase();
}

class ArchiveServer {
  constructor(archive, { onRequest = null } = {}) {
    this.archive = archive;
    this.onRequest = onRequest; // (method, params) => void, for logging
    this.http = http.createServer((req, res) => this.#handle(req, res));
    this.methods = {
      eth_chainId: async () => hex(this.#header().chainId),
      net_version: async () => String(this.#header().chainId),
      web3_clientVersion: async () => "quancheng-node-archive/1",
      eth_blockNumber: async () => hex(this.#head().number + REORG_DEPTH),
      eth_getBlockByNumber: async ([tag, full]) => this.#block(await this.#resolve(tag), full),
      eth_getBlockByHash: async ([hash, full]) => this.#block(await this.#resolve(expect(HASH, hash, "block hash")), full),
      eth_getTransactionByHash: async ([hash]) => (await this.archive.transactions([expect(HASH, hash, "transaction hash")]))[0] ?? null,
      eth_getTransactionReceipt: async ([hash]) => (await this.archive.receipts([expect(HASH, hash, "transaction hash")]))[0] ?? null,
      eth_getBlockReceipts: async ([tag]) => this.#blockReceipts(await this.#resolve(tag)),
      eth_getLogs: async ([filter]) => this.#logs(filter ?? {}),
      eth_getBalance: async ([address, tag]) => (await this.#account(address, tag))?.balance ?? "0x0",
      eth_getTransactionCount: async ([address, tag]) => (await this.#account(address, tag))?.nonce ?? "0x0",
      eth_getCode: async ([address, tag]) => (await this.#account(address, tag))?.code ?? "0x",
      eth_getStorageAt: async ([address, slot, tag]) => {
        const number = await this.#stateBlock(tag);
        const a = expect(ADDRESS, address, "address");
        const { value, since } = await this.archive.storage(a, expect(HEX, slot, "storage slot"));
        this.#known(number, since, `slot ${slot} of ${a}`);
        return value;
      },
    };
  }

  /** Listens on 127.0.0.1:`port`; returns the URL. */
  async listen(port = 0) {
    await new Promise((resolve, reject) => {
      this.http.once("error", reject);
      this.http.listen(port, "127.0.0.1", resolve);
    });
    return `http://127.0.0.1:${this.http.address().port}`;
  }

  /** Stops listening; idle keep-alive connections are closed at once, busy ones after 1 s. */
  async close() {
    const grace = setTimeout(() => this.http.closeAllConnections(), 1000);
    const closed = new Promise((resolve) => this.http.close(resolve));
    this.http.closeIdleConnections();
    await closed;
    clearTimeout(grace);
  }

  #handle(req, res) {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reply(res, 413, failure(null, new RpcError(INVALID_REQUEST, `request body exceeds ${MAX_BODY} bytes; send smaller batches`)));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", async () => {
      if (size > MAX_BODY) return;
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return reply(res, 200, failure(null, new RpcError(PARSE_ERROR, "request body is not JSON")));
      }
      if (!Array.isArray(body)) return reply(res, 200, await this.#call(body));
      if (body.length === 0) return reply(res, 200, failure(null, new RpcError(INVALID_REQUEST, "empty batch")));
      const answers = [];
      for (const call of body) answers.push(await this.#call(call));
      return reply(res, 200, answers);
    });
  }

  async #call(call) {
    const id = call && call.id !== undefined ? call.id : null;
    try {
      if (!call || typeof call.method !== "string") throw new RpcError(INVALID_REQUEST, "a request needs a string method");
      const params = call.params ?? [];
      if (!Array.isArray(params)) throw new RpcError(INVALID_PARAMS, `params of ${call.method} must be an array`);
      if (this.onRequest) this.onRequest(call.method, params);
      const method = this.methods[call.method];
      if (!method) throw new RpcError(METHOD_NOT_FOUND, `method ${call.method} is not served by the archive`);
      return { jsonrpc: "2.0", id, result: await method(params) };
    } catch (err) {
      return failure(id, err);
    }
  }

  #header() {
    return this.archive.headerRecord;
  }

  #head() {
    const head = this.archive.head();
    if (head === null) throw new RpcError(SERVER_ERROR, "the archive holds no block yet; commit blocks before serving it", "ARCHIVE_EMPTY");
    return head;
  }

  /** The block number a tag, number, hash or EIP-1898 object names; null if not archived. */
  async #resolve(tag) {
    const head = this.#head().number;
    if (tag === undefined || tag === null || ["latest", "safe", "finalized", "pending"].includes(tag)) return head;
    if (tag === "earliest") return 0;
    if (typeof tag === "object") return this.#resolve(tag.blockHash ?? tag.blockNumber);
    if (typeof tag === "string" && HASH.test(tag)) return this.archive.blockNumberOfHash(tag);
    const number = Number(BigInt(expect(HEX, tag, "block number")));
    return number <= head ? number : null;
  }

  async #block(number, full) {
    if (number === null) return null;
    const block = await this.archive.blockByNumber(number);
    if (!full || block.transactions.length === 0) return block;
    return { ...block, transactions: await this.archive.transactions(block.transactions) };
  }

  async #blockReceipts(number) {
    if (number === null) return null;
    const block = await this.archive.blockByNumber(number);
    return this.archive.receipts(block.transactions);
  }

  /** The block a state read asks about; it must be in the archive. */
  async #stateBlock(tag) {
    const head = this.#head().number;
    const number = await this.#resolve(tag);
    if (number === null) throw new RpcError(SERVER_ERROR, `block ${JSON.stringify(tag)} is not in the archive (head ${head}); ask at the head`);
    return number;
  }

  /**
   * Refuses a read at block `number` of a value the archive holds only from block `since` on
   * (archive.js: exact or refused, never wrong); `since` null: never written, undefined: written
   * by an archive of an earlier version (answered from the head it had when opened).
   */
  #known(number, since, what) {
    if (since === null) return;
    const from = since === undefined ? this.archive.stateFloor() : since;
    if (number < from) {
      throw new RpcError(SERVER_ERROR, `the state of ${what} at block ${number} is not kept by the archive: `
        + `it may have changed before block ${from}, the snapshot that last wrote it; ask at block ${from} or later`,
      "ARCHIVE_STATE_NOT_KEPT");
    }
  }

  async #account(address, tag) {
    const number = await this.#stateBlock(tag);
    const a = expect(ADDRESS, address, "address");
    const account = await this.archive.account(a);
    if (account !== null) this.#known(number, account.since, `account ${a}`);
    return account;
  }

  async #logs(filter) {
    const match = logMatcher(filter);
    let from;
    let to;
    if (filter.blockHash !== undefined) {
      from = to = await this.archive.blockNumberOfHash(expect(HASH, filter.blockHash, "blockHash"));
      if (from === null) throw new RpcError(SERVER_ERROR, `block ${filter.blockHash} is not in the archive`);
    } else {
      const head = this.#head().number;
      from = filter.fromBlock === undefined ? head : await this.#bound(filter.fromBlock);
      to = filter.toBlock === undefined ? head : await this.#bound(filter.toBlock);
      if (from > to && from <= head) throw new RpcError(INVALID_PARAMS, `fromBlock ${from} is after toBlock ${to}`);
      to = Math.min(to, head);
    }
    const out = [];
    for await (const [, logs] of this.archive.logsIn(from, to, match.addresses)) {
      for (const log of logs) if (match(log)) out.push(log);
      if (out.length > MAX_LOGS) {
        throw new RpcError(LIMIT_EXCEEDED, `eth_getLogs would return more than ${MAX_LOGS} logs (blocks ${from}..${to}); narrow fromBlock/toBlock, address or topics`);
      }
    }
    return out;
  }

  /** A filter's block bound as a number; a number past the head is kept (it is clamped). */
  async #bound(tag) {
    if (typeof tag === "string" && HEX.test(tag) && !HASH.test(tag)) return Number(BigInt(tag));
    const number = await this.#resolve(tag);
    if (number === null) throw new RpcError(SERVER_ERROR, `block ${JSON.stringify(tag)} is not in the archive`);
    return number;
  }
}

/** A predicate for eth_getLogs' address (one or many) and topics (null = any, array = OR). */
function logMatcher({ address, topics = [] }) {
  const addresses = address === undefined || address === null ? null
    : new Set((Array.isArray(address) ? address : [address]).map((a) => expect(ADDRESS, a, "address")));
  if (!Array.isArray(topics)) throw new RpcError(INVALID_PARAMS, "topics must be an array");
  const wanted = topics.map((t) => {
    if (t === null) return null;
    const options = Array.isArray(t) ? t : [t];
    if (options.includes(null)) return null;
    return new Set(options.map((o) => expect(HASH, o, "topic")));
  });
  const match = (log) => {
    if (addresses !== null && !addresses.has(log.address.toLowerCase())) return false;
    return wanted.every((set, i) => set === null || (i < log.topics.length && set.has(log.topics[i].toLowerCase())));
  };
  match.addresses = addresses === null ? null : [...addresses]; // a cheap pre-filter of blocks
  return match;
}

function failure(id, err) {
  if (err instanceof RpcError) {
    const error = { code: err.rpcCode, message: err.message };
    if (err.archiveCode) error.data = { code: err.archiveCode };
    return { jsonrpc: "2.0", id, error };
  }
  const data = err && err.code ? { code: err.code } : undefined;
  return { jsonrpc: "2.0", id, error: { code: SERVER_ERROR, message: String(err && err.message ? err.message : err), data } };
}

function reply(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

module.exports = { ArchiveServer, MAX_BODY, MAX_LOGS };
