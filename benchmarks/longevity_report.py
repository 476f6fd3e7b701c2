"""The longevity benchmark's reading of the node log, its estimates and its BENCHMARKS.md text.

``benchmarks.longevity_bench`` measures; this module turns the node's log lines into figures,
extrapolates them to 10^6 and 10^7 transactions and writes the section.  The previous design's
figures (the journal replayed from genesis at every start) are kept here as they were published,
so that each run prints them beside its own.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from benchmarks.report import image, machine_line

#: The previous design's published figures: BENCHMARKS.md "Longevity" before snapshots.
PREVIOUS: dict[str, Any] = {
    "label": "previous design (journal replayed from genesis), measured 2026-12-06, load 9-11",
    "empty_start_s": 6.07,
    "empty_rss_mib": 96.7,
    "points": [
        {"txs": 1_000, "restart_s": 14.02, "rss_before_mib": 124.7, "rss_after_mib": 124.3},
        {"txs": 10_000, "restart_s": 42.75, "rss_before_mib": 332.3, "rss_after_mib": 323.2},
        {"txs": 100_000, "restart_s": 337.42, "rss_before_mib": 2477.9, "rss_after_mib": 2489.4},
    ],
}

_SNAPSHOT = re.compile(r"snapshot at block (\d+): (\d+) blocks, (\d+) transactions, .* in (\d+) ms")
#: The node's memory as each snapshot logs it (scripts/snapshot.js): resident, while growing.
_SNAPSHOT_RSS = re.compile(r"; memory rss (\d+) MiB")
_START = re.compile(
    r"from (?:genesis|archive block (\d+)), replayed (\d+) requests, (\d+) blocks.* in (\d+) ms"
)
_FAILED = re.compile(r"snapshot (?:failed|could not continue)")


class NodeLog:
    """Reads the node's log (``STATE/node.log``) as it grows: snapshots taken, starts made."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.snapshot_ms: list[int] = []  # since the last snapshots()
        self.snapshot_rss: list[int] = []  # MiB, likewise
        self.failed = 0
        self.starts: list[dict[str, Any]] = []  # since the last start()

    def poll(self) -> None:
        """Parse what the node logged since the last poll."""
        with self.path.open("rb") as f:
            f.seek(self.offset)
            raw = f.read()
        end = raw.rfind(b"\n") + 1  # a line being written is read whole next time
        self.offset += end
        for line in raw[:end].decode("utf-8", "replace").splitlines():
            if m := _SNAPSHOT.search(line):
                self.snapshot_ms.append(int(m[4]))
                if r := _SNAPSHOT_RSS.search(line):
                    self.snapshot_rss.append(int(r[1]))
            elif _FAILED.search(line):
                self.failed += 1
            elif m := _START.search(line):
                self.starts.append({
                    "from_block": int(m[1]) if m[1] else None,
                    "entries": int(m[2]), "blocks": int(m[3]), "ms": int(m[4]),
                })  # fmt: skip

    def snapshots(self) -> dict[str, Any]:
        """The snapshots logged since the last call: count, mean and longest time, failures,
        and the node's resident memory at the last and the largest of them (MiB, 0 if none)."""
        self.poll()
        ms, failed, rss = self.snapshot_ms, self.failed, self.snapshot_rss
        self.snapshot_ms, self.failed, self.snapshot_rss = [], 0, []
        return {
            "count": len(ms),
            "mean_ms": round(sum(ms) / len(ms)) if ms else 0,
            "max_ms": max(ms, default=0),
            "failed": failed,
            "rss_last_mib": rss[-1] if rss else 0,
            "rss_max_mib": max(rss, default=0),
        }

    def start(self) -> dict[str, Any]:
        """What the last start since the last call replayed (its ``journal ...`` line)."""
        self.poll()
        if not self.starts:
            raise RuntimeError(f"{self.path}: no 'journal ...: from ..., replayed' line")
        last, self.starts = self.starts[-1], []
        return last


def round_down(n: int) -> int:
    """``n`` rounded down to two significant digits (234,567 -> 230,000)."""
    if n < 100:
        return max(n, 0)
    step = int(10 ** (int(math.log10(n)) - 1))
    return n // step * step


def estimates(data: dict[str, Any]) -> dict[str, Any]:
    """10^6 and 10^7 transactions from the longest chain measured (linear where it grows)."""
    points = data["points"]
    last = points[-1]
    full = [p["full"] for p in points]
    out: dict[str, Any] = {
        "restart_s": _span(p["restart_s"] for p in points + full),
        "kill_start_s": _span(f["kill_start_s"] for f in full),
        "rss_after_mib": _span(p["rss_after_mib"] for p in points + full),
        "rss_running_mib": [points[0]["full"]["rss_before_mib"], last["full"]["rss_before_mib"]],
        "rss_growing_mib": [p["snapshots"].get("rss_last_mib", 0) for p in points],
        "snapshot_ms": round(
            sum(p["snapshots"]["mean_ms"] * p["snapshots"]["count"] for p in points)
            / max(sum(p["snapshots"]["count"] for p in points), 1)
        ),
        "from_txs": last["txs"],
    }
    prev = data["previous"]["points"]
    slope = (prev[-1]["restart_s"] - prev[0]["restart_s"]) / (prev[-1]["txs"] - prev[0]["txs"])
    for n in (1_000_000, 10_000_000):
        scale = n / last["txs"]
        out[str(n)] = {
            "grow_h": round(n / max(last["send_tx_per_s"], 1) / 3600, 2),
            "archive_gib": round(last["archive_mib"] * scale / 1024, 2),
            "history_read_s": round(last["history"]["s"] * scale),
            "previous_restart_s": round(prev[-1]["restart_s"] + slope * (n - prev[-1]["txs"])),
        }
    return out


def _span(values: Any) -> list[float]:
    got = list(values)
    return [min(got), max(got)]


def _growing_rss(snaps: dict[str, Any]) -> str:
    last, most = snaps.get("rss_last_mib", 0), snaps.get("rss_max_mib", 0)
    return f"{last:,} / {most:,}" if most else "–"


def _row(p: dict[str, Any]) -> str:
    snaps, full = p["snapshots"], p["full"]
    logs_per_s = p["history"]["logs"] / max(p["history"]["s"], 0.001)
    cut = " (budget)" if p.get("budget_cut") else ""
    n = p["history"]["pages"]
    pages = f"{n} page{'s' if n > 1 else ''}"
    return (
        f"| {p['txs']:,}{cut} | {p['blocks']:,} | {p['send_tx_per_s']:,} | "
        f"{snaps['count']} ({snaps['mean_ms']:,} / {snaps['max_ms']:,}) | "
        f"{_growing_rss(snaps)} | "
        f"**{p['restart_s']}** ({p['stop_s']} + {p['start_s']}; {p['replayed']['entries']:,}) | "
        f"{full['entries']:,}: **{full['kill_start_s']}** / {full['restart_s']} | "
        f"{p['history']['s']} ({logs_per_s:,.0f}/s, {pages}) | "
        f"{p['rss_before_mib']} / {p['rss_after_mib']} / {full['rss_before_mib']} / "
        f"{full['rss_after_mib']} | "
        f"{p['archive_mib']} | {full['journal_mib']} |"
    )


_COLUMNS = (
    "transactions", "blocks", "growth (tx/s)", "snapshots while growing (mean / max ms)",
    "RSS while growing (MiB): at the last / the largest snapshot",
    "restart (s): stop + start (entries replayed)",
    "full journal (entries): start after kill -9 / stop + start (s)",
    "history read: all logs from block 0 (s)",
    "RSS (MiB): before stop (after the history read) / after restart / full journal: "
    "before kill / after restart",
    "archive (MiB)", "full journal (MiB)",
)  # fmt: skip
_HEAD = "| " + " | ".join(_COLUMNS) + " |\n" + "|---:" * len(_COLUMNS) + "|"


def _previous_table(previous: dict[str, Any], points: list[dict[str, Any]]) -> str:
    ours = {p["txs"]: p for p in points}
    rows = []
    for old in previous["points"]:
        new = ours.get(old["txs"])
        now = f"{new['restart_s']} s, {new['rss_after_mib']} MiB" if new else "not measured"
        rows.append(
            f"| {old['txs']:,} | {old['restart_s']} s, {old['rss_after_mib']} MiB | {now} |"
        )
    return (
        "| transactions | previous design: restart, RSS after | this run |\n|---:|---:|---:|\n"
        + "\n".join(rows)
    )


def _estimate_text(data: dict[str, Any]) -> str:
    est = data["estimates"]
    e6, e7 = est["1000000"], est["10000000"]
    first, last = data["points"][0]["txs"], est["from_txs"]
    restart, kill, rss = est["restart_s"], est["kill_start_s"], est["rss_after_mib"]
    return (
        f"Restart time does not grow with the chain: from {first:,} to {last:,} transactions a "
        f"graceful restart took {restart[0]}–{restart[1]} s and a start after kill -9 with a full "
        f"journal {kill[0]}–{kill[1]} s, and RSS after a start {rss[0]}–{rss[1]} MiB (the "
        f"previous design went from 14 to 337 s and from 124 to 2,489 MiB over 10³–10⁵).  "
        f"{_running_text(data)}  A start replays at most "
        f"the journal since the last snapshot (about {data['snapshot_every']:,} entries), so the "
        f"estimate at 10⁶ and at 10⁷ transactions is the same: restart ≤ **{restart[1]} s** "
        f"(≤ {kill[1]} s after kill -9), where the previous design's own slope predicts "
        f"~{e6['previous_restart_s']:,} s and ~{e7['previous_restart_s']:,} s.  What does grow, "
        f"linearly, extrapolated from {last:,} transactions: the archive on disk "
        f"(~{e6['archive_gib']} GiB at 10⁶, ~{e7['archive_gib']} GiB at 10⁷), the history read "
        f"(all logs from block 0: ~{e6['history_read_s']:,} s at 10⁶, "
        f"~{e7['history_read_s']:,} s at 10⁷), and the time to grow the chain at this run's rate "
        f"({e6['grow_h']} h to 10⁶, {e7['grow_h']} h to 10⁷; of which snapshots: "
        f"{est['snapshot_ms']:,} ms on average each {data['snapshot_every']:,} transactions)."
    )


def _running_text(data: dict[str, Any]) -> str:
    """What the running node's memory did while the chain grew, as measured."""
    est, points = data["estimates"], data["points"]
    running = est["rss_running_mib"]
    growing = est.get("rss_growing_mib", [])
    first, last = points[0]["txs"], points[-1]["txs"]
    after_read = max(p["rss_before_mib"] for p in points)
    if len(growing) == len(points) and all(growing):
        told = ", ".join(
            f"{mib:,} MiB at {p['txs']:,}" for mib, p in zip(growing, points, strict=True)
        )
        return (
            f"While the chain grew, the node's RSS at its snapshots was {told} transactions "
            f"(second RSS column); reading every log back took it to {after_read:,} MiB at most "
            "(first column of the other RSS figures), and a restart brings it back to the "
            "figure after a start."
        )
    return (
        f"The running node's RSS does grow: {running[0]} MiB at {first:,} and {running[1]} MiB "
        f"at {last:,} transactions before the kill, more after reading every log; a restart "
        "brings it back (this run's node logged no memory at its snapshots)."
    )


def render(data: dict[str, Any]) -> str:
    """The BENCHMARKS.md section."""
    mode = f"{data['block_time_s']:g}-second blocks" if data["block_time_s"] else "instant mining"
    empty, points, previous = data["empty"], data["points"], data["previous"]
    load = data["load"]
    reached = f"{points[-1]['txs']:,}"
    missing = ", ".join(f"{n:,}" for n in data["not_reached"])
    budget = (
        f"\n\n**Not reached within the {data['budget_s']:.0f}-second budget: {missing} "
        f"transactions** (the longest chain measured has {reached}); the estimates below "
        "extrapolate from it."
        if missing
        else ""
    )
    stale = data["old_state_refusal"] or "(no refusal: the state at block 1 was answered)"
    roots = {p["state_root"] for p in points[1:]}
    root_text = (
        f"every length after the first has the same head stateRoot ({next(iter(roots))[:18]}…)"
        if len(roots) == 1 and len(points) > 1
        else f"{len(roots)} distinct head stateRoots after the first length"
    )
    unmeasured = (
        f"  The lengths not reached ({missing}) are extrapolated above, not measured."
        if missing
        else ""
    )
    interval = "QC_NODE_SNAPSHOT_EVERY" if data["snapshot_default"] else "not the usual interval"
    return f"""## Longevity: restart time and memory against chain length

{machine_line()}.  Load average (1 / 5 / 15 min): {" / ".join(map(str, load["start"]))} at
the start, {" / ".join(map(str, load["end"]))} at the end; the run took {data["wall_s"]:,} s.

One chain, grown on the local node ({mode}, one counter call per transaction: a storage write
and a log), with snapshots into the node's archive every {data["snapshot_every"]:,} journal
entries ({interval}).  At each length: all logs read back from block 0 ({data["page_logs"]:,}
logs a page, since the archive answers at most 100,000 a request), timed; a
graceful stop and a start, timed until JSON-RPC answers, the head hash and every log (count
and digest) checked after it.  Then the worst case for a start: the chain grown until its
journal holds one entry short of the next snapshot (up to {data["snapshot_every"] - 1:,}
transactions past the length), killed with SIGKILL and started, stopped and started again,
the head hash checked after each.  Baseline, same run: start on an empty state directory
in **{empty["start_s"]} s**, RSS {empty["rss_mib"]} MiB.{budget}

{_HEAD}
{chr(10).join(_row(p) for p in points)}

{image("longevity", "restart time and RSS against chain length, beside the previous design")}

Beside the {previous["label"]} (its empty start {previous["empty_start_s"]} s):

{_previous_table(previous, points)}

{_estimate_text(data)}

Limits.  Blocks made after a snapshot come from Hardhat's fork mode, whose state roots are a
placeholder constant ({root_text}): the state is not re-hashed, so a stateRoot proves nothing
here.  The archive keeps the state at its head only: history before it cannot be re-executed —
asked for storage at block 1 the node answers: `{stale}`.  Blocks, transactions, receipts and
logs keep their original hashes.{unmeasured}  The figures are from one run on a shared
2-core machine (load above): compare lengths within the run, not absolute times across runs.
"""
