"""The block time the suite's nodes seal at, chosen with ``QC_TEST_BLOCK_TIME_S``.

Unset (or 0) the nodes the tests start mine each transaction at once, the development
default.  ``QC_TEST_BLOCK_TIME_S=2`` makes them seal the pooled transactions every 2 s, as a
QBFT network does (``make test-blocktime`` runs the ``blocktime``-marked modules so).
"""

from __future__ import annotations

import math
import os

from quancheng.errors import ConfigError

#: The environment variable the suite reads.
ENV_VAR = "QC_TEST_BLOCK_TIME_S"
#: The node's own variable: subprocesses that start a node (the demo) read it.
NODE_ENV_VAR = "QC_NODE_BLOCK_TIME_S"
#: The node refuses block times beyond this (NodeSettings.block_time_s).
MAX_BLOCK_TIME_S = 3600.0


class TestBlockTimeRefused(ConfigError):
    """``QC_TEST_BLOCK_TIME_S`` is not a number of seconds the node accepts."""

    __test__ = False  # an error, not a test class
    code = "TEST_BLOCK_TIME_REFUSED"

    def __init__(self, value: str) -> None:
        self.value = value
        super().__init__(
            f"{ENV_VAR}={value!r}: give the seconds between blocks as a number from 0 "
            f"(instant mining, the default) to {MAX_BLOCK_TIME_S:g}, e.g. {ENV_VAR}=2"
        )


def suite_block_time_s() -> float:
    """Seconds between blocks for the nodes this run starts (0: instant mining).

    Raises:
        TestBlockTimeRefused: the variable holds no number in 0..3600.
    """
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        return 0.0
    try:
        seconds = float(raw)
    except ValueError:
        raise TestBlockTimeRefused(raw) from None
    if not math.isfinite(seconds) or not 0 <= seconds <= MAX_BLOCK_TIME_S:
        raise TestBlockTimeRefused(raw)
    return seconds


def node_env(base: dict[str, str]) -> dict[str, str]:
    """``base`` with the node's block time set to the suite's, for a subprocess that starts
    its own node (an explicit ``QC_NODE_BLOCK_TIME_S`` in ``base`` is kept)."""
    seconds = suite_block_time_s()
    if not seconds or NODE_ENV_VAR in base:
        return base
    return {**base, NODE_ENV_VAR: f"{seconds:g}"}
