// The hash of an Ethereum block header, recomputed from its JSON-RPC fields (RLP + keccak256),
// so that the archive can tell a block it stored from one that was altered on disk.
const { keccak256 } = require("hardhat/internal/util/keccak");

// Header fields in RLP order: [JSON-RPC name, kind]. "hash" = fixed bytes, "int" = a
// quantity encoded as minimal big-endian bytes (zero = empty string).
const BASE_FIELDS = [
  ["parentHash", "bytes"],
  ["sha3Uncles", "bytes"],
  ["miner", "bytes"],
  ["stateRoot", "bytes"],
  ["transactionsRoot", "bytes"],
  ["receiptsRoot", "bytes"],
  ["logsBloom", "bytes"],
  ["difficulty", "int"],
  ["number", "int"],
  ["gasLimit", "int"],
  ["gasUsed", "int"],
  ["timestamp", "int"],
  ["extraData", "bytes"],
  ["mixHash", "bytes"],
  ["nonce", "bytes"],
];
// Fields added by later hardforks (London, Shanghai, Cancun, Prague): each is present only if
// every earlier one is, so the header takes them in order while they are there.
const FORK_FIELDS = [
  ["baseFeePerGas", "int"],
  ["withdrawalsRoot", "bytes"],
  ["blobGasUsed", "int"],
  ["excessBlobGas", "int"],
  ["parentBeaconBlockRoot", "bytes"],
  ["requestsHash", "bytes"],
];

const hexBytes = (hex) => Buffer.from(hex.slice(2).length % 2 ? `0${hex.slice(2)}` : hex.slice(2), "hex");

function intBytes(hex) {
  const value = BigInt(hex);
  if (value === 0n) return Buffer.alloc(0);
  const digits = value.toString(16);
  return Buffer.from(digits.length % 2 ? `0${digits}` : digits, "hex");
}

function rlpLength(length, offset) {
  if (length < 56) return Buffer.from([offset + length]);
  const bytes = intBytes(`0x${length.toString(16)}`);
  return Buffer.concat([Buffer.from([offset + 55 + bytes.length]), bytes]);
}

/** RLP encoding of a Buffer or a (nested) array of Buffers. */
function rlp(item) {
  if (Array.isArray(item)) {
    const body = Buffer.concat(item.map(rlp));
    return Buffer.concat([rlpLength(body.length, 0xc0), body]);
  }
  if (item.length === 1 && item[0] < 0x80) return item;
  return Buffer.concat([rlpLength(item.length, 0x80), item]);
}

/** The RLP list of a JSON-RPC block's header fields; throws TypeError on a missing field. */
function headerFields(block) {
  const fields = [...BASE_FIELDS];
  for (const field of FORK_FIELDS) {
    if (block[field[0]] === undefined || block[field[0]] === null) break;
    fields.push(field);
  }
  return fields.map(([name, kind]) => {
    const value = block[name];
    if (typeof value !== "string" || !/^0x[0-9a-fA-F]*$/.test(value)) {
      throw new TypeError(`header field ${name} is ${JSON.stringify(value)}, not a hex string`);
    }
    return kind === "int" ? intBytes(value) : hexBytes(value);
  });
}

/** The block hash its header fields imply, as a lower-case 0x-prefixed hex string. */
function headerHash(block) {
  return `0x${keccak256(rlp(headerFields(block))).toString("hex")}`;
}

module.exports = { headerHash, rlp };
