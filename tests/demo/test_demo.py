"""``make demo`` runs the main job end to end and stops everything it started."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.utils.blocktime import node_env, suite_block_time_s
from tests.utils.procs import run_bounded

pytestmark = pytest.mark.blocktime

#: A hang guard, not a speed check: with blocks every few seconds each of the demo's ~80
#: transactions waits for its block, so it is given twice as long.
TIMEOUT_S = 600 if suite_block_time_s() else 300


@pytest.mark.slow
@pytest.mark.timeout(TIMEOUT_S + 30)
def test_demo_settles_claims_decides_loans_refuses_and_proves_every_receipt(
    tmp_path: Path,
) -> None:
    env = node_env({**os.environ, "QC_DEMO_DIR": str(tmp_path / "demo"), "COLUMNS": "160"})
    result = run_bounded([sys.executable, "-m", "quancheng_demo"], timeout=TIMEOUT_S, env=env)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "车险理赔  张伟: 通过" in out
    assert "车险理赔  李强: 拒绝" in out and "醉酒驾驶" in out
    assert "寿险身故理赔  王秀英: 通过" in out
    assert "商业医疗险理赔  刘芳: 通过" in out
    assert "小微企业信用贷  济南泉顺信息技术有限公司: 通过" in out
    assert "✓ 已拒绝 FIELD_NOT_GRANTED" in out
    assert "✓ 已拒绝 GRANT_REVOKED" in out
    assert "每张的 Merkle 包含证明都与链上锚定的根一致" in out
    # The auditor verified the whole trail the demo left, and wrote both reports.
    assert "审计通过" in out, out
    audit = json.loads((tmp_path / "demo" / "audit.json").read_text())
    assert audit["passed"] and audit["failures"] == 0
    assert audit["counts"]["receipts"] > 0 and audit["counts"]["pending_receipts"] == 0
    assert (tmp_path / "demo" / "audit.html").read_text().count("<svg") >= 4
    # Everything it started is stopped: no process still names the demo's directory in its
    # command line (the node) or its environment (the gateways' settings).
    assert _processes_mentioning(str(tmp_path / "demo")) == []


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            blob = (proc / "cmdline").read_bytes() + (proc / "environ").read_bytes()
        except OSError:
            continue
        if text.encode() in blob:
            found.append(int(proc.name))
    return found
