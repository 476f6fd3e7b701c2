"""The chain follower polls on a timer only as often as it must.

Without a ``newHeads`` subscription the timer is all it has (``poll_interval``); with one,
every block wakes it, and the timer only confirms an idle chain's head (``ws_poll_interval``).
Each poll is a chain call the gateway's process pays for under load.
"""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from quancheng.chain.follower import ChainFollower


class _CountingChain:
    """What the follower reads of a ContractSet: an idle chain whose head is block 7."""

    def __init__(self) -> None:
        self.polls = 0
        self.by_name: dict[str, Any] = {}
        self.w3 = SimpleNamespace(eth=self)

    @property
    def block_number(self) -> int:
        self.polls += 1
        return 7


class _Sink:
    def processed_block(self) -> int:
        return 7

    def apply(self, events: list[Any], to_block: int) -> None:
        raise AssertionError("an idle chain has nothing to apply")


def _polls_in(seconds: float, *, subscribed: bool) -> int:
    chain = _CountingChain()
    follower = ChainFollower(
        chain,  # type: ignore[arg-type]
        _Sink(),
        poll_interval=0.01,
        ws_poll_interval=0.5,
    )
    follower.websocket_connected = subscribed  # no ws_url: the flag alone, no socket
    follower.start()
    try:
        time.sleep(seconds)
    finally:
        follower.stop()
    assert follower.reachable and follower.processed_block == 7
    return chain.polls


def test_with_a_subscription_an_idle_chain_is_polled_every_ws_poll_interval() -> None:
    # 0, 0.5 and 1.0 s: a slower machine can only poll less often, never more.
    assert 1 <= _polls_in(1.2, subscribed=True) <= 4


def test_without_one_the_timer_is_poll_interval() -> None:
    assert _polls_in(1.2, subscribed=False) > 4


def test_the_ws_interval_is_never_shorter_than_the_plain_one() -> None:
    follower = ChainFollower(
        _CountingChain(),  # type: ignore[arg-type]
        _Sink(),
        poll_interval=1.0,
        ws_poll_interval=0.2,
    )
    assert follower.next_wait() == 1.0
    follower.websocket_connected = True
    assert follower.next_wait() == 1.0
