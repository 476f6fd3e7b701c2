// Configuration of the local EVM node of 泉城链. Every setting a deployment may change comes
// from the environment (set by node/quancheng_node/process.py), so the same file serves the
// demo, the tests and a developer's node.
const env = process.env;

const int = (name, fallback) => (env[name] ? Number.parseInt(env[name], 10) : fallback);
const chainId = int("QC_CHAIN_ID", 5310);
const hardfork = env.QC_HARDFORK || "cancun";

/** @type import('hardhat/config').HardhatUserConfig */
module.exports = {
  // No Solidity here: contracts are compiled by node/quancheng_node/compile.py.
  paths: { sources: "./no-sources", cache: "./.cache", artifacts: "./.artifacts" },
  networks: {
    hardhat: {
      chainId,
      hardfork,
      // A node forked from its own archive (scripts/snapshot.js) runs the chain's one hardfork
      // from block 0; EDR knows no hardfork history for a chain id it has not heard of.
      chains: { [chainId]: { hardforkHistory: { [hardfork]: 0 } } },
      blockGasLimit: int("QC_BLOCK_GAS_LIMIT", 60_000_000),
      gas: "auto",
      // A fixed genesis date makes the chain reproducible, which the journal replay relies on.
      initialDate: env.QC_GENESIS_DATE || "2026-01-01T00:00:00Z",
      // With a block time the node seals blocks itself (scripts/node.js), through the journal.
      mining: { auto: !(Number.parseFloat(env.QC_BLOCK_TIME_S || "0") > 0), interval: 0 },
      // Under load many blocks fall in the same second; without this Hardhat pushes each one a
      // second later and chain time races ahead of the wall clock that grants are judged by.
      allowBlocksWithSameTimestamp: true,
      loggingEnabled: env.QC_NODE_VERBOSE === "1",
      accounts: {
        mnemonic: env.QC_DEV_MNEMONIC || "test test test test test test test test test test test junk",
        count: int("QC_DEV_ACCOUNTS", 20),
        accountsBalance: "1000000000000000000000000",
      },
    },
  },
};
