"""Offline, reproducible compilation of the contracts.

py-solc-x drives the npm solcjs compiler through ``hardhat-network/scripts/solc-shim.js``
(py-solc-x cannot download native solc here). The settings are fixed, sources are given to
the compiler under stable unit names (``contracts/...``, ``@openzeppelin/...``), and the
artifacts are written with sorted keys, so the same sources always give the same bytes:
``build(check=True)`` (and the test suite) fail when the committed artifacts are stale.

Two files are produced:

* ``contracts/build/quancheng.json``: per contract its ABI, bytecode and deployed bytecode
  with the positions of its immutables in it (filled in at deployment, so a check of deployed
  code masks them and checks their values: :mod:`quancheng_node.deployed`); the compiler
  version and settings; the SM3 and keccak-256 of every source used.
* ``sdk/quancheng/chain/abi.py``: the same ABIs as a Python module, so the SDK decodes
  custom errors and events without a file outside its package.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

import solcx
import solcx.wrapper
from eth_utils.crypto import keccak
from pydantic import BaseModel, ConfigDict, Field

from quancheng.crypto.sm3 import sm3
from quancheng.errors import ChainError
from quancheng_node.config import HARDHAT_DIR, PROJECT_ROOT

__all__ = [
    "ABI_MODULE",
    "ARTIFACTS_FILE",
    "CONTRACTS_DIR",
    "DEPLOYABLE",
    "SETTINGS",
    "ArtifactsStale",
    "CompileError",
    "CompiledArtifacts",
    "ContractArtifact",
    "ImmutableReference",
    "SourceDigest",
    "build",
    "compile_contracts",
    "render_abi_module",
]

CONTRACTS_DIR = PROJECT_ROOT / "contracts"
ARTIFACTS_FILE = CONTRACTS_DIR / "build" / "quancheng.json"
ABI_MODULE = PROJECT_ROOT / "sdk" / "quancheng" / "chain" / "abi.py"
SOLC_SHIM = HARDHAT_DIR / "scripts" / "solc-shim.js"
NODE_MODULES = HARDHAT_DIR / "node_modules"
FORMAT = "quancheng-artifacts/1"

#: The contracts that are deployed, in deployment order.
DEPLOYABLE: tuple[str, ...] = (
    "Sm2Verifier",
    "ConsortiumRegistry",
    "DataCatalogue",
    "OwnerRegistry",
    "GrantRegistry",
    "ReceiptLedger",
)

#: Fixed compiler settings (viaIR is not needed: no function hits stack-too-deep).
SETTINGS: dict[str, Any] = {
    "evmVersion": "cancun",
    "optimizer": {"enabled": True, "runs": 200},
    "outputSelection": {
        "*": {
            "": ["ast"],  # only to name the immutables (solc gives their AST ids)
            "*": [
                "abi",
                "evm.bytecode.object",
                "evm.deployedBytecode.object",
                "evm.deployedBytecode.immutableReferences",
            ],
        },
    },
}


class CompileError(ChainError):
    """The contracts did not compile."""

    code = "COMPILE_ERROR"


class ArtifactsStale(ChainError):
    """The committed artifacts are not what the sources compile to."""

    code = "ARTIFACTS_STALE"

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        names = ", ".join(_shown(p) for p in paths)
        super().__init__(
            f"stale compiled artifacts: {names}; rebuild with `python -m quancheng_node.compile`"
        )


class SourceDigest(BaseModel):
    """Digests of one source file exactly as the compiler read it."""

    model_config = ConfigDict(frozen=True)

    sm3: str
    keccak256: str


class ImmutableReference(BaseModel):
    """Where the deployed code holds one copy of an immutable's value (byte offsets)."""

    model_config = ConfigDict(frozen=True)

    start: int = Field(ge=0)
    length: int = Field(ge=1)


class ContractArtifact(BaseModel):
    """What deployment, clients and the check of deployed code need of one contract.

    ``immutable_references`` is solc's ``immutableReferences`` keyed by the immutable's name
    (``_registry``) instead of its AST id: the deployed bytecode has zeros there, and the
    deployed contract the value its constructor set.
    """

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    source: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str = Field(alias="deployedBytecode")
    immutable_references: dict[str, list[ImmutableReference]] = Field(
        default_factory=dict, alias="immutableReferences"
    )


class CompiledArtifacts(BaseModel):
    """The compiled contracts, their compiler and the digests of their sources."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    format: str = FORMAT
    compiler_version: str = Field(alias="compilerVersion")
    settings: dict[str, Any]
    sources: dict[str, SourceDigest]
    contracts: dict[str, ContractArtifact]

    def to_json(self) -> str:
        """The canonical file content: sorted keys, two-space indent, trailing newline."""
        data = self.model_dump(mode="json", by_alias=True)
        return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"

    def digest(self) -> str:
        """SM3 (hex) of :meth:`to_json`: identifies this exact build."""
        return sm3(self.to_json().encode()).hex()

    def abis(self) -> dict[str, list[dict[str, Any]]]:
        """The ABI of each deployable contract."""
        return {name: artifact.abi for name, artifact in self.contracts.items()}

    @classmethod
    def load(cls, path: Path = ARTIFACTS_FILE) -> CompiledArtifacts:
        """Read artifacts written by :func:`build`."""
        return cls.model_validate_json(path.read_text(encoding="utf-8"))


def compile_contracts(source_dir: Path = CONTRACTS_DIR) -> CompiledArtifacts:
    """Compile ``source_dir/*.sol`` and the ``interfaces/`` and ``crypto/`` subfolders' ``*.sol``.

    The sources get unit names ``contracts/<relative path>`` wherever ``source_dir`` is, so a
    copy of the tree compiles to the same bytes as the original.

    Raises:
        CompileError: the compiler reported an error or a deployable contract is missing.
    """
    sources = _read_sources(source_dir)
    standard_input = {
        "language": "Solidity",
        "sources": {unit: {"content": text} for unit, text in sources.items()},
        "settings": SETTINGS,
    }
    shim = _executable_shim()
    try:
        output = solcx.compile_standard(standard_input, solc_binary=shim)
        version = solcx.wrapper.get_solc_version(shim, with_commit_hash=True)
    except solcx.exceptions.SolcError as exc:
        detail = exc.message if not exc.stderr_data else f"{exc.message}\n{exc.stderr_data}"
        raise CompileError(f"solc failed: {detail.strip()}") from exc
    _check_warnings(output)
    immutables = _immutable_names(output)
    return CompiledArtifacts(
        compilerVersion=str(version),
        settings=SETTINGS,
        sources={unit: _digest_source(unit, sources) for unit in sorted(output["sources"])},
        contracts={name: _artifact(output, name, immutables) for name in DEPLOYABLE},
    )


def build(check: bool = False) -> CompiledArtifacts:
    """Compile the contracts and write (or, with ``check``, verify) the committed artifacts.

    Args:
        check: Do not write; raise :class:`ArtifactsStale` if a committed file differs.

    Returns:
        The compiled artifacts.
    """
    artifacts = compile_contracts()
    expected = {
        ARTIFACTS_FILE: artifacts.to_json(),
        ABI_MODULE: render_abi_module(artifacts),
    }
    if check:
        stale = [p for p, text in expected.items() if _read_or_empty(p) != text]
        if stale:
            raise ArtifactsStale(stale)
        return artifacts
    for path, text in expected.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return artifacts


def render_abi_module(artifacts: CompiledArtifacts) -> str:
    """The source of ``quancheng.chain.abi``: the contracts' ABIs as JSON text.

    The text is already in ``ruff format`` style, so formatting the tree leaves it alone.
    """
    abi_json = json.dumps(artifacts.abis(), sort_keys=True, indent=1, ensure_ascii=False)
    if '"""' in abi_json or "\\" in abi_json:  # pragma: no cover - ABIs never contain these
        raise CompileError("ABI text cannot be embedded in a raw string literal")
    return (
        '"""ABIs of the 泉城链 contracts. Generated by ``quancheng_node.compile.build()``:'
        ' do not edit."""\n\n'
        "from __future__ import annotations\n\n"
        "import json\n"
        "from typing import Any, Final\n\n"
        f'COMPILER_VERSION: Final = "{artifacts.compiler_version}"\n\n'
        f'ABIS: Final[dict[str, list[dict[str, Any]]]] = json.loads(\n    r"""{abi_json}"""\n)\n'
    )


def _check_warnings(output: dict[str, Any]) -> None:
    """Warnings about the project's own sources fail the build: they are kept at zero."""
    own = [
        e["formattedMessage"]
        for e in output.get("errors", [])
        if e.get("sourceLocation", {}).get("file", "").startswith("contracts/")
    ]
    if own:
        raise CompileError("compiler warnings:\n" + "\n".join(own))


def _read_sources(source_dir: Path) -> dict[str, str]:
    files = sorted(
        [
            *source_dir.glob("*.sol"),
            *source_dir.glob("interfaces/*.sol"),
            *source_dir.glob("crypto/*.sol"),
        ]
    )
    if not files:
        raise CompileError(f"no Solidity sources in {source_dir}")
    return {
        f"contracts/{path.relative_to(source_dir).as_posix()}": path.read_text(encoding="utf-8")
        for path in files
    }


def _digest_source(unit: str, project_sources: dict[str, str]) -> SourceDigest:
    if unit in project_sources:
        data = project_sources[unit].encode()
    elif unit.startswith("@"):
        data = (NODE_MODULES / unit).read_bytes()
    else:  # pragma: no cover - the shim resolves nothing else
        raise CompileError(f"unexpected source unit {unit}")
    return SourceDigest(sm3=sm3(data).hex(), keccak256="0x" + keccak(data).hex())


def _immutable_names(output: dict[str, Any]) -> dict[str, str]:
    """AST id (as solc's ``immutableReferences`` keys it) → the immutable's name."""
    names: dict[str, str] = {}
    stack: list[Any] = [unit["ast"] for unit in output["sources"].values()]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if node.get("nodeType") == "VariableDeclaration" and node.get("mutability") == (
                "immutable"
            ):
                names[str(node["id"])] = str(node["name"])
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
    return names


def _artifact(output: dict[str, Any], name: str, immutables: dict[str, str]) -> ContractArtifact:
    unit = f"contracts/{name}.sol"
    try:
        compiled = output["contracts"][unit][name]
    except KeyError as exc:
        raise CompileError(f"{unit} does not define contract {name}") from exc
    deployed = compiled["evm"]["deployedBytecode"]
    references: dict[str, list[ImmutableReference]] = {}
    for ast_id, places in sorted(deployed.get("immutableReferences", {}).items()):
        variable = immutables[ast_id]
        if variable in references:  # pragma: no cover - an inherited immutable of the same name
            raise CompileError(f"{name} has two immutables named {variable}")
        references[variable] = [ImmutableReference.model_validate(p) for p in places]
    return ContractArtifact(
        source=unit,
        abi=compiled["abi"],
        bytecode="0x" + compiled["evm"]["bytecode"]["object"],
        deployedBytecode="0x" + deployed["object"],
        immutableReferences=references,
    )


def _executable_shim() -> Path:
    """The shim, or an executable copy of it if a checkout lost its executable bit."""
    if os.access(SOLC_SHIM, os.X_OK):
        return SOLC_SHIM
    wrapper = Path(tempfile.gettempdir()) / f"quancheng-solc-{os.getuid()}.sh"
    wrapper.write_text(f'#!/bin/sh\nexec node "{SOLC_SHIM}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return wrapper


def _shown(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def _read_or_empty(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def main(argv: list[str] | None = None) -> int:
    """``python -m quancheng_node.compile [--check]``: rebuild, or verify, the artifacts."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m quancheng_node.compile", description=__doc__)
    parser.add_argument("--check", action="store_true", help="verify only; exit 1 if stale")
    args = parser.parse_args(argv)
    try:
        artifacts = build(check=args.check)
    except (ArtifactsStale, CompileError) as exc:
        print(f"error: {exc.code}: {exc}")
        return 1
    verb = "up to date" if args.check else "written"
    print(f"{ARTIFACTS_FILE.relative_to(PROJECT_ROOT)} {verb} (sm3 {artifacts.digest()[:16]}…)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
