// 泉城链 数字保险箱: the owner's SM2 key, signatures and canonical JSON, in the browser.
//
// The convention is the project's (design.md, "Cryptography"): SM2 (GB/T 32918) with
// e = SM3(Z_A ‖ M) for the default user ID 1234567812345678, signatures DER-encoded, keys
// as 65-byte uncompressed points (04 ‖ x ‖ y) or PKCS#8 PEM, and what is signed for an
// object is its RFC 8785 canonical JSON. sm-crypto-v2 does the curve arithmetic and SM3;
// this glue fixes every option, so the portal's pages cannot get one wrong, and checks
// DER and key ranges strictly itself instead of trusting the library's lenient parser.
//
// Bundled by build.mjs into quancheng_portal/static/vendor/qc-crypto.js (global QCCrypto).

import { sm2, sm3 as sm3hex } from "sm-crypto-v2";

export const DEFAULT_USER_ID = "1234567812345678";

// Order n of the SM2 recommended curve (GB/T 32918.5).
const N = BigInt("0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123");
const HEX = /^[0-9a-f]*$/;

// ------------------------------------------------------------------------------ bytes

export function bytesToHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function hexToBytes(hex) {
  const text = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (text.length % 2 !== 0 || !HEX.test(text.toLowerCase())) throw new Error("不是十六进制字符串");
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
  return out;
}

export function utf8(text) {
  return new TextEncoder().encode(text);
}

export function toBase64(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function fromBase64(text) {
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

// -------------------------------------------------------------------------------- SM3

/** SM3 digest of bytes, as lower-case hex. */
export function sm3(bytes) {
  return sm3hex(bytes);
}

// ------------------------------------------------------------------------------- keys

function scalarOf(privateKeyHex) {
  const text = privateKeyHex.toLowerCase();
  if (text.length !== 64 || !HEX.test(text)) throw new Error("私钥应为 64 位十六进制数");
  const d = BigInt("0x" + text);
  // SM2 signing needs (1 + d)⁻¹ mod n, so d = n − 1 is not a key (GB/T 32918.1, 6.1).
  if (d < 1n || d > N - 2n) throw new Error("私钥不在 [1, n−2] 范围内");
  return text;
}

/** The uncompressed public key 04 ‖ x ‖ y (hex) of a private key (64 hex digits). */
export function publicKeyOf(privateKeyHex) {
  const pub = sm2.getPublicKeyFromPrivateKey(scalarOf(privateKeyHex));
  return pub.padStart(130, "0");
}

/** A fresh key pair from the browser's CSPRNG: { privateKey, publicKey } in hex. */
export function generateKeyPair() {
  for (;;) {
    const pair = sm2.generateKeyPairHex(); // never pass a seed: 1.15.1 ignores it wrongly
    const privateKey = pair.privateKey.padStart(64, "0");
    if (BigInt("0x" + privateKey) <= N - 2n) return { privateKey, publicKey: publicKeyOf(privateKey) };
  }
}

function checkPublicKey(publicKeyHex) {
  const text = publicKeyHex.toLowerCase().replace(/^0x/, "");
  if (text.length !== 130 || !text.startsWith("04") || !HEX.test(text)) {
    throw new Error("公钥应为 65 字节未压缩点（04 开头）");
  }
  if (!sm2.verifyPublicKey(text)) throw new Error("公钥不在 SM2 曲线上");
  return text;
}

// ------------------------------------------------------------------------- signatures

function derLength(n) {
  if (n < 0x80) return [n];
  return [0x81, n]; // r and s need at most 33 bytes: short or one length byte
}

function derInteger(value) {
  let hex = value.toString(16);
  if (hex.length % 2) hex = "0" + hex;
  let bytes = Array.from(hexToBytes(hex));
  if (bytes[0] & 0x80) bytes = [0, ...bytes];
  return [0x02, ...derLength(bytes.length), ...bytes];
}

/** DER SEQUENCE { INTEGER r, INTEGER s }, minimally encoded. */
export function encodeSignature(r, s) {
  const body = [...derInteger(r), ...derInteger(s)];
  return Uint8Array.from([0x30, ...derLength(body.length), ...body]);
}

/** (r, s) of a strictly DER-encoded signature; throws on anything else. */
export function decodeSignature(der) {
  let pos = 0;
  const byte = () => {
    if (pos >= der.length) throw new Error("签名被截断");
    return der[pos++];
  };
  const length = () => {
    const first = byte();
    if (first < 0x80) return first;
    if (first !== 0x81) throw new Error("签名长度编码不合规");
    const n = byte();
    if (n < 0x80) throw new Error("签名长度编码不是最短形式");
    return n;
  };
  const integer = () => {
    if (byte() !== 0x02) throw new Error("签名应为两个整数");
    const len = length();
    if (len === 0 || pos + len > der.length) throw new Error("签名整数长度不对");
    const bytes = der.slice(pos, pos + len);
    pos += len;
    if (bytes[0] & 0x80) throw new Error("签名整数为负");
    if (len > 1 && bytes[0] === 0 && !(bytes[1] & 0x80)) throw new Error("签名整数不是最短编码");
    const value = BigInt("0x" + bytesToHex(bytes));
    if (value < 1n || value >= N) throw new Error("签名整数超出 [1, n−1]");
    return value;
  };
  if (byte() !== 0x30) throw new Error("签名应为 DER SEQUENCE");
  const total = length();
  if (pos + total !== der.length) throw new Error("签名长度与内容不符");
  const r = integer();
  const s = integer();
  if (pos !== der.length) throw new Error("签名后有多余字节");
  return { r, s };
}

/**
 * Sign message bytes: SM2 with e = SM3(Z_A ‖ M), default user ID, DER-encoded.
 * @returns {Uint8Array} the DER signature
 */
export function sign(message, privateKeyHex) {
  const d = scalarOf(privateKeyHex);
  const publicKey = publicKeyOf(d);
  const rs = sm2.doSignature(message, d, { hash: true, der: false, publicKey, userId: DEFAULT_USER_ID });
  const der = encodeSignature(BigInt("0x" + rs.slice(0, 64)), BigInt("0x" + rs.slice(64)));
  if (!verify(message, der, publicKey)) throw new Error("签名自检失败");
  return der;
}

/** True when a DER signature over message bytes verifies with the public key (hex). */
export function verify(message, signature, publicKeyHex) {
  let rs;
  let key;
  try {
    rs = decodeSignature(signature);
    key = checkPublicKey(publicKeyHex);
  } catch {
    return false;
  }
  const raw = rs.r.toString(16).padStart(64, "0") + rs.s.toString(16).padStart(64, "0");
  return sm2.doVerifySignature(message, raw, key, { hash: true, der: false, userId: DEFAULT_USER_ID });
}

/** Z_A of a public key for the default user ID (hex), to compare with other implementations. */
export function za(publicKeyHex) {
  return bytesToHex(sm2.getZ(checkPublicKey(publicKeyHex), DEFAULT_USER_ID));
}

// --------------------------------------------------------------------- canonical JSON

function canonicalString(text) {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) throw new Error("字符串含有孤立代理项");
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      throw new Error("字符串含有孤立代理项");
    }
  }
  // JSON.stringify escapes exactly what RFC 8785 escapes (", \, control characters with the
  // short forms \b \t \n \f \r, the rest as lower-case \u00xx) and nothing else.
  return JSON.stringify(text);
}

/**
 * RFC 8785 canonical JSON of a value made of objects, arrays, strings, safe integers,
 * booleans and null (our documents hold no fractional numbers: those are refused).
 */
export function canonicalJson(value) {
  if (value === null || typeof value === "boolean") return String(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error("只接受安全范围内的整数");
    return Object.is(value, -0) ? "0" : String(value);
  }
  if (typeof value === "string") return canonicalString(value);
  if (Array.isArray(value)) return "[" + value.map(canonicalJson).join(",") + "]";
  if (typeof value === "object") {
    // Default sort compares UTF-16 code units: the order RFC 8785 prescribes.
    const keys = Object.keys(value).sort();
    return "{" + keys.map((k) => canonicalString(k) + ":" + canonicalJson(value[k])).join(",") + "}";
  }
  throw new Error("无法规范化的值：" + typeof value);
}

// ------------------------------------------------------------------------ key backups

// id-ecPublicKey with the SM2 curve (1.2.156.10197.1.301), as OpenSSL 3 writes SM2 keys.
const ALGORITHM_ID = "301306072a8648ce3d020106082a811ccf5501822d";
const SM2_CURVE_OID = "06082a811ccf5501822d";

function tlv(bytes, pos) {
  const tag = bytes[pos];
  let len = bytes[pos + 1];
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 2) throw new Error("密钥文件长度编码不支持");
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | bytes[start + i];
    start += n;
  }
  if (start + len > bytes.length) throw new Error("密钥文件被截断");
  return { tag, head: pos, start, end: start + len, value: bytes.slice(start, start + len) };
}

function children(bytes) {
  const out = [];
  let pos = 0;
  while (pos < bytes.length) {
    const item = tlv(bytes, pos);
    out.push(item);
    pos = item.end;
  }
  return out;
}

function pemBody(text, label) {
  const match = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`).exec(text);
  return match ? fromBase64(match[1].replace(/\s+/g, "")) : null;
}

/** The owner's key as an unencrypted PKCS#8 PEM, which OpenSSL 3 and the SDK wallet read. */
export function exportPkcs8Pem(privateKeyHex) {
  const d = scalarOf(privateKeyHex);
  const ecKey = "306b020101" + "0420" + d + "a144034200" + publicKeyOf(d);
  const der = hexToBytes("308187020100" + ALGORITHM_ID + "046d" + ecKey);
  const b64 = toBase64(der).replace(/(.{64})/g, "$1\n").trim();
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

function scalarFromEcPrivateKey(ecKey) {
  const [version, secret, ...rest] = children(tlv(ecKey, 0).value);
  if (version.tag !== 0x02 || bytesToHex(version.value) !== "01" || secret.tag !== 0x04) {
    throw new Error("不是 EC 私钥结构");
  }
  const d = bytesToHex(secret.value).padStart(64, "0");
  for (const item of rest) {
    if (item.tag === 0xa0 && bytesToHex(item.value) !== SM2_CURVE_OID) throw new Error("不是 SM2 曲线的密钥");
    if (item.tag === 0xa1) {
      const bits = tlv(item.value, 0).value; // BIT STRING: unused-bits byte, then the point
      if (bytesToHex(bits.slice(1)) !== publicKeyOf(d)) throw new Error("密钥文件中的公钥与私钥不匹配");
    }
  }
  return scalarOf(d);
}

/**
 * The private key (64 hex digits) from a backup: PKCS#8 PEM ("PRIVATE KEY"), SEC1 PEM
 * ("EC PRIVATE KEY") of an SM2 key, or the bare 64-digit hex scalar.
 */
export function importPrivateKey(text) {
  const trimmed = text.trim();
  if (/^(0x)?[0-9a-fA-F]{64}$/.test(trimmed)) return scalarOf(trimmed.replace(/^0x/, "").toLowerCase());
  if (trimmed.includes("ENCRYPTED PRIVATE KEY")) {
    throw new Error("暂不支持加密的密钥文件，请先用 openssl 去除口令后导入");
  }
  const pkcs8 = pemBody(trimmed, "PRIVATE KEY");
  if (pkcs8) {
    const body = tlv(pkcs8, 0).value;
    const [version, algorithm, secret] = children(body);
    if (!version || version.tag !== 0x02 || !algorithm || !secret || secret.tag !== 0x04) {
      throw new Error("不是 PKCS#8 私钥");
    }
    const algHex = bytesToHex(body.slice(algorithm.head, algorithm.end));
    if (algHex !== ALGORITHM_ID) throw new Error("不是 SM2 私钥");
    return scalarFromEcPrivateKey(secret.value);
  }
  const sec1 = pemBody(trimmed, "EC PRIVATE KEY");
  if (sec1) return scalarFromEcPrivateKey(sec1);
  throw new Error("无法识别的密钥备份：请提供 PEM 文件或 64 位十六进制私钥");
}

// -------------------------------------------------------------------------- self-test

// GB/T 32918.5-2017 (GM/T 0003.5-2012) Annex A: a signature on the recommended curve with the
// default user ID and the standard's fixed k. Only this constant k is ever used with a fixed
// nonce, so the bundle exposes no way to sign with a chosen k.
const KAT = {
  d: "3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8",
  k: "59276e27d506861a16680f3ad9c02dccef3cc1fa3cdbe4ce6d54b80deac1bc21",
  message: "message digest",
};

/** Reproduce the standard's worked example: { publicKey, za, e, r, s } in hex. */
export function selfTest() {
  const publicKey = publicKeyOf(KAT.d);
  const message = utf8(KAT.message);
  const x1 = BigInt("0x" + publicKeyOf(KAT.k).slice(2, 66));
  const rs = sm2.doSignature(message, KAT.d, {
    hash: true, der: false, publicKey, userId: DEFAULT_USER_ID,
    pointPool: [{ k: BigInt("0x" + KAT.k), x1 }],
  });
  return {
    publicKey,
    za: za(publicKey),
    e: sm2.getHash(bytesToHex(message), publicKey, DEFAULT_USER_ID),
    r: rs.slice(0, 64),
    s: rs.slice(64),
  };
}
