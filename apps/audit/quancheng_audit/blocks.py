"""Block numbers and times as the chain evidence shows them, to judge receipts by block.

A receipt's ``view_block`` names a block; judging it needs that block's time and the blocks
around it. The evidence holds every event of the deployment's contracts with its block and
block time, and the head it was read up to (``to_block``, ``head_time``): not every block,
and no extra read per receipt. Block times never decrease along the chain, so each known
block bounds the time of the unknown ones beside it:

* a block is at least as late as the latest known block at or before it
  (:meth:`BlockTimes.time_from`);
* the first known block after it was mined, at its known time, after it
  (:meth:`BlockTimes.first_after`) — where a view that had not applied that block missed
  something real, if anything;
* every block mined before ``head_time`` is in the evidence (:meth:`BlockTimes.all_read_by`).
"""

from __future__ import annotations

import bisect

from quancheng_audit.evidence import ChainEvidence

__all__ = ["BlockTimes"]


class BlockTimes:
    """The blocks the evidence names (each event's, and the head), with their times."""

    def __init__(self, chain: ChainEvidence) -> None:
        known = {(e.block, e.time) for e in chain.events}
        known.add((chain.to_block, chain.head_time))
        ordered = sorted(known)
        self._blocks = [b for b, _ in ordered]
        self._times = [t for _, t in ordered]
        self.head = chain.to_block
        self.head_time = chain.head_time

    def time_from(self, block: int) -> int | None:
        """A lower bound of ``block``'s time (unix seconds): the latest known block's at or
        before it; None when no known block is that early."""
        i = bisect.bisect_right(self._blocks, block)
        return self._times[i - 1] if i else None

    def first_after(self, block: int) -> tuple[int, int] | None:
        """(number, time) of the first known block after ``block``; None past the head."""
        i = bisect.bisect_right(self._blocks, block)
        return (self._blocks[i], self._times[i]) if i < len(self._blocks) else None

    def all_read_by(self, t_ms: int) -> bool:
        """Whether every block mined at or before ``t_ms`` is in the evidence.

        Blocks after the head are at least as late as the head, so this holds for any moment
        before the head's second.
        """
        return t_ms < self.head_time * 1000
