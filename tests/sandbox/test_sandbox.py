"""The sandbox stays up: ``up`` → ``status`` → the docs' example verbatim → ``down``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.packaging.sdk_venv import SdkVenv
from tests.sandbox.support import DOCS, bank_example, live_pids, sandbox_cli


@pytest.mark.slow
@pytest.mark.timeout(1800)  # ~2 minutes on an idle machine; others' suites share the cores
def test_sandbox_stays_up_answers_the_documented_example_stops_and_resumes(
    tmp_path: Path, sdk_venv: SdkVenv
) -> None:
    root = tmp_path / "var" / "sandbox"  # where the example in docs/sandbox.md looks
    try:
        up = sandbox_cli("up", "--dir", str(root), "--base-port", "0", cwd=tmp_path)
        assert up.returncode == 0, up.stdout + up.stderr
        assert "the sandbox is up" in up.stdout
        state = json.loads((root / "state.json").read_text())
        pids = [p["pid"] for p in state["processes"]]
        names = [p["name"] for p in state["processes"]]
        assert names[:9] == ["chain", *(n for n in names if n.startswith("gateway "))]
        assert len(names) >= 10 and "portal" in names
        # Every endpoint and the credentials are printed.
        for proc in state["processes"]:
            assert proc["url"] in up.stdout
        assert str(root / "credentials" / "sandbox.json") in up.stdout
        # The command has returned; what it started keeps running.
        assert live_pids(pids) == pids

        status = sandbox_cli("status", "--dir", str(root), cwd=tmp_path)
        assert status.returncode == 0, status.stdout
        assert status.stdout.count("\n  up   ") == len(pids)
        first_head = re.search(r"up   chain .* head block (\d+)", status.stdout)
        assert first_head, status.stdout

        again = sandbox_cli("up", "--dir", str(root), "--base-port", "0", cwd=tmp_path)
        assert again.returncode == 0 and "the sandbox is already up" in again.stdout
        assert json.loads((root / "state.json").read_text())["processes"] == state["processes"]

        # Run as a bank's engineer would: the SDK alone, installed in a fresh venv outside the
        # repository (no server package there: tests/packaging asserts it).
        example = sdk_venv.run_python("-c", bank_example(), cwd=tmp_path)
        assert example.returncode == 0, example.stdout + example.stderr
        lines = example.stdout.splitlines()
        sandbox = json.loads((root / "credentials" / "sandbox.json").read_text())
        grant = next(
            g for g in sandbox["grants"] if g["consumer"] == "bank" and g["status"] == "ACTIVE"
        )
        for item in grant["scope"]:
            assert any(line.startswith(f"{item['resource']}: {{") and "(verified, receipt " in line
                       for line in lines), (item, example.stdout)  # fmt: skip
        # Real department data, not a placeholder: 济南泉顺's tax credit rating is A.
        assert "tax.credit_rating: {'latest_rating': 'A'}" in example.stdout
        assert re.search(r"receipt anchored on chain in block \d+, batch root 0x[0-9a-f]{64}",
                         example.stdout)  # fmt: skip
    finally:
        down = sandbox_cli("down", "--dir", str(root), cwd=tmp_path)
    assert down.returncode == 0, down.stdout + down.stderr
    assert live_pids(pids) == []
    assert not (root / "state.json").exists()
    assert (root / "credentials" / "sandbox.json").is_file()  # the data stays without --purge
    after = sandbox_cli("status", "--dir", str(root), cwd=tmp_path)
    assert after.returncode == 1 and "no sandbox runs in" in after.stdout

    # `up` again resumes the same sandbox: same chain (its journal), data, ports, credentials.
    try:
        resumed = sandbox_cli("up", "--dir", str(root), cwd=tmp_path)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        again_state = json.loads((root / "state.json").read_text())
        urls = [p["url"] for p in state["processes"]]
        assert [p["url"] for p in again_state["processes"]] == urls
        assert json.loads((root / "credentials" / "sandbox.json").read_text()) == sandbox
        status = sandbox_cli("status", "--dir", str(root), cwd=tmp_path)
        assert status.returncode == 0, status.stdout
        head = re.search(r"up   chain .* head block (\d+)", status.stdout)
        # The chain replayed its journal: every block of the first run is back (a new chain
        # would start at 0, and nothing deploys on a resume).
        assert head and int(head.group(1)) >= int(first_head.group(1)) > 0
    finally:
        purged = sandbox_cli("down", "--dir", str(root), "--purge", cwd=tmp_path)
    assert purged.returncode == 0, purged.stdout + purged.stderr
    assert live_pids([p["pid"] for p in again_state["processes"]]) == []
    assert not root.exists()


def test_the_docs_example_is_the_sdk_only() -> None:
    code = bank_example()
    imports = set(re.findall(r"^(?:from|import) (\w+)", code, flags=re.MULTILINE))
    assert imports == {"json", "pathlib", "quancheng"}, imports
    assert len(code.strip().splitlines()) <= 20
    assert "python -m quancheng_demo.sandbox down" in DOCS.read_text()


def test_the_readme_shows_the_example_the_sandbox_test_runs() -> None:
    readme = (DOCS.parents[1] / "README.md").read_text()
    assert f"```python\n{bank_example()}```" in readme  # verbatim: the README's is the tested one
