#!/usr/bin/env node
// A `solc` look-alike around the npm solcjs compiler, so that py-solc-x can drive it offline
// (node/quancheng_node/compile.py). It answers the two calls py-solc-x makes:
//
//   solc-shim.js --version                         prints the version like native solc
//   solc-shim.js --standard-json [--base-path DIR] standard JSON in on stdin, out on stdout
//
// Imports the input does not carry are resolved from hardhat-network/node_modules
// (`@openzeppelin/...`) or from the base path (default: the repository root); nothing outside
// those two directories is readable. Only the JSON goes to stdout: solcjs' own chatter (for
// example its note about SMT solvers) is sent to stderr.
"use strict";

const fs = require("fs");
const path = require("path");

const HARDHAT_DIR = path.resolve(__dirname, "..");
const NODE_MODULES = path.join(HARDHAT_DIR, "node_modules");

// Keep stdout clean for the JSON answer whatever solcjs prints while loading or compiling.
const writeStdout = process.stdout.write.bind(process.stdout);
console.log = (...args) => console.error(...args);
console.info = console.log;
console.warn = console.log;

const solc = require(path.join(NODE_MODULES, "solc"));

function parseArgs(argv) {
  const args = { version: false, standardJson: false, basePath: path.resolve(HARDHAT_DIR, "..") };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--version") args.version = true;
    else if (arg === "--standard-json") args.standardJson = true;
    else if (arg === "--base-path") args.basePath = path.resolve(argv[++i]);
    else if (arg === "--allow-paths") i++; // the import callback below is the allow-list
    else if (arg === "-") continue;
    else throw new Error(`solc-shim: unsupported argument ${arg}`);
  }
  return args;
}

function inside(root, candidate) {
  const rel = path.relative(root, candidate);
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
}

function makeImportCallback(basePath) {
  return (importPath) => {
    const root = importPath.startsWith("@") ? NODE_MODULES : basePath;
    const file = path.resolve(root, importPath);
    if (!inside(root, file)) return { error: `import outside the allowed paths: ${importPath}` };
    try {
      return { contents: fs.readFileSync(file, "utf8") };
    } catch (err) {
      return { error: `cannot read ${importPath}: ${err.code || err.message}` };
    }
  };
}

function readStdin() {
  return fs.readFileSync(0, "utf8");
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.version) {
    writeStdout(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
    return 0;
  }
  if (!args.standardJson) {
    console.error("usage: solc-shim.js --version | --standard-json [--base-path DIR] < input.json");
    return 2;
  }
  const output = solc.compile(readStdin(), { import: makeImportCallback(args.basePath) });
  writeStdout(output + "\n");
  return 0;
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(err && err.message ? err.message : String(err));
  process.exitCode = 1;
}
