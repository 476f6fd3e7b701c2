#!/bin/sh
# Start validator-4 of 泉城链 (chain 5310) on 10.20.0.14.
# Needs Hyperledger Besu >= 24.12.0 (Java 21) on PATH, or BESU=/path/to/besu.
set -eu
cd "$(dirname "$0")/nodes/validator-4"
exec "${BESU:-besu}" --config-file=config.toml "$@"
