// Bundle src/qc-crypto.js and sm-crypto-v2 into the portal's static files (global QCCrypto).
//
//   npm ci && npm run build     writes ../quancheng_portal/static/vendor/qc-crypto.js
//   npm run check               fails if that file differs from a fresh build
//
// The output is deterministic (same sources and lock file, same bytes), so it can be
// checked like the compiled contracts. Nothing is fetched at run time: the portal serves it.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const outfile = join(here, "..", "quancheng_portal", "static", "vendor", "qc-crypto.js");
const version = (name) =>
  JSON.parse(readFileSync(join(here, "node_modules", name, "package.json"), "utf8")).version;
const libs = ["sm-crypto-v2", "@noble/curves", "@noble/hashes"].map((n) => `${n} ${version(n)}`);

const result = await esbuild.build({
  entryPoints: [join(here, "src", "qc-crypto.js")],
  bundle: true,
  format: "iife",
  globalName: "QCCrypto",
  platform: "browser",
  target: ["es2020"],
  minify: true,
  legalComments: "eof",
  charset: "utf8",
  write: false,
  banner: {
    js: `/* 泉城链 数字保险箱 browser crypto — built by apps/portal/web/build.mjs from ${libs.join(", ")} (MIT). Do not edit. */`,
  },
});
const text = result.outputFiles[0].text;

if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(outfile, "utf8");
  } catch {}
  if (current !== text) {
    console.error(`${outfile} is missing or stale: run npm run build`);
    process.exit(1);
  }
  console.log(`${outfile} is up to date`);
} else {
  mkdirSync(dirname(outfile), { recursive: true });
  writeFileSync(outfile, text);
  console.log(`wrote ${outfile} (${text.length} bytes; ${libs.join(", ")})`);
}
