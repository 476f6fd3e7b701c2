"""Compilation is offline and reproducible: the committed artifacts are what the sources
compile to, byte for byte, wherever the tree is."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from quancheng_node import compile as qc_compile
from quancheng_node.compile import (
    ABI_MODULE,
    ARTIFACTS_FILE,
    CONTRACTS_DIR,
    DEPLOYABLE,
    ArtifactsStale,
    CompiledArtifacts,
    CompileError,
    build,
    compile_contracts,
    render_abi_module,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def compiled() -> CompiledArtifacts:
    return compile_contracts()


def _copy_sources(tmp_path: Path) -> Path:
    target = tmp_path / "contracts"
    shutil.copytree(CONTRACTS_DIR, target, ignore=shutil.ignore_patterns("build"))
    return target


def test_committed_artifacts_are_reproduced_exactly(compiled: CompiledArtifacts) -> None:
    assert compiled.to_json() == ARTIFACTS_FILE.read_text(encoding="utf-8")
    assert render_abi_module(compiled) == ABI_MODULE.read_text(encoding="utf-8")


def test_artifacts_hold_what_deployment_and_audit_need(compiled: CompiledArtifacts) -> None:
    assert tuple(compiled.contracts) == DEPLOYABLE
    assert compiled.compiler_version == "0.8.30+commit.73712a01"
    assert compiled.settings["evmVersion"] == "cancun"
    assert compiled.settings["optimizer"] == {"enabled": True, "runs": 200}
    assert "viaIR" not in compiled.settings
    for artifact in compiled.contracts.values():
        # CBOR metadata at the end names the compiler: "solc" 0.8.30 (0x00081e).
        assert artifact.deployed_bytecode.endswith("64736f6c634300081e0033")
        assert artifact.bytecode[:4] in ("0x60", "0x61") and len(artifact.deployed_bytecode) > 1000
        assert any(entry["type"] == "error" for entry in artifact.abi)
    # Where the constructor writes each immutable: the check of deployed code masks them.
    grants = compiled.contracts["GrantRegistry"].immutable_references
    assert set(grants) == {"_registry", "_catalogue", "_owners", "_sm2", "_deployer"}
    assert compiled.contracts["Sm2Verifier"].immutable_references == {}
    assert "contracts/GrantRegistry.sol" in compiled.sources
    assert "@openzeppelin/contracts/access/AccessControl.sol" in compiled.sources
    digest = compiled.sources["contracts/GrantRegistry.sol"]
    assert re.fullmatch(r"[0-9a-f]{64}", digest.sm3)
    assert re.fullmatch(r"0x[0-9a-f]{64}", digest.keccak256)


def test_copy_of_the_tree_compiles_to_the_same_bytes(
    compiled: CompiledArtifacts, tmp_path: Path
) -> None:
    assert compile_contracts(_copy_sources(tmp_path)).to_json() == compiled.to_json()


def test_edit_to_a_source_changes_the_output(compiled: CompiledArtifacts, tmp_path: Path) -> None:
    tree = _copy_sources(tmp_path)
    ledger = tree / "ReceiptLedger.sol"
    ledger.write_text(ledger.read_text().replace('return "0.2.0";', 'return "0.2.1";'))
    edited = compile_contracts(tree)
    assert edited.to_json() != compiled.to_json()
    assert edited.digest() != compiled.digest()
    assert (
        edited.sources["contracts/ReceiptLedger.sol"]
        != compiled.sources["contracts/ReceiptLedger.sol"]
    )
    assert (
        edited.contracts["ReceiptLedger"].bytecode != compiled.contracts["ReceiptLedger"].bytecode
    )
    assert edited.contracts["GrantRegistry"] == compiled.contracts["GrantRegistry"]


def test_check_reports_stale_artifacts(
    compiled: CompiledArtifacts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = tmp_path / "quancheng.json"
    stale.write_text(compiled.to_json().replace('"runs": 200', '"runs": 201'))
    monkeypatch.setattr(qc_compile, "ARTIFACTS_FILE", stale)
    monkeypatch.setattr(qc_compile, "compile_contracts", lambda: compiled)
    with pytest.raises(ArtifactsStale) as exc:
        build(check=True)
    assert exc.value.paths == [stale]
    assert stale.read_text() != compiled.to_json()  # check never writes


def test_compiler_errors_are_reported(tmp_path: Path) -> None:
    tree = _copy_sources(tmp_path)
    (tree / "Broken.sol").write_text(
        "// SPDX-License-Identifier: Apache-2.0\npragma solidity 0.8.30;\ncontract B { x }\n"
    )
    with pytest.raises(CompileError, match=r"Broken\.sol"):
        compile_contracts(tree)


def test_imports_outside_node_modules_and_the_project_are_refused(tmp_path: Path) -> None:
    tree = _copy_sources(tmp_path)
    (tree / "Escape.sol").write_text('pragma solidity 0.8.30;\nimport "/etc/passwd";\n')
    with pytest.raises(CompileError, match="outside the allowed paths"):
        compile_contracts(tree)


def test_shim_reports_its_version_like_native_solc() -> None:
    out = subprocess.run(
        [str(qc_compile.SOLC_SHIM), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines()[0] == "solc, the solidity compiler commandline interface"
    assert re.match(r"Version: 0\.8\.30\+commit\.73712a01", out.splitlines()[1])


def test_shim_without_its_executable_bit_runs_through_a_wrapper(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(qc_compile.os, "access", lambda path, mode: False)
    wrapper = qc_compile._executable_shim()
    assert wrapper != qc_compile.SOLC_SHIM
    out = subprocess.run([str(wrapper), "--version"], capture_output=True, text=True, check=True)
    assert "0.8.30+commit.73712a01" in out.stdout


def test_the_unrolled_sm3_is_exactly_its_generators_output() -> None:
    """contracts/crypto/Sm3.sol is generated (64 unrolled rounds): nobody edits it by hand."""
    import subprocess
    import sys

    from quancheng_node.config import PROJECT_ROOT

    script = PROJECT_ROOT / "contracts" / "crypto" / "gen" / "sm3.py"
    assert subprocess.run([sys.executable, str(script), "--check"], check=False).returncode == 0
