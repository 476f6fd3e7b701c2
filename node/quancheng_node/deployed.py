"""Whether the contracts at a manifest's addresses ARE this build's contracts, correctly wired.

A manifest is the deployer's word. This module checks it against the chain and the compiled
artifacts, so that nobody has to take that word:

* **code** — each address holds the build's deployed bytecode for that contract, compared
  with the immutables' positions masked (solc leaves zeros there; the constructor fills them);
* **wiring** — each immutable holds what the manifest says it must (``ReceiptLedger``'s
  registry is the manifest's ``ConsortiumRegistry``, ``GrantRegistry``'s deployer the
  manifest's deployer, …), and ``GrantRegistry.receiptLedger()``, the one cross-reference in
  storage (bound once by the deployer after both contracts exist), is the manifest's ledger.

The views ``registry()``, ``catalogue()``, ``ownerRegistry()``, ``sm2Verifier()``,
``grantRegistry()`` and ``votingPeriod()`` return those immutables, so once the code is the
build's, reading the immutable from the code is reading the view; a mismatch is named by its
view. Reading and checking are separate (:func:`read_deployment`, :func:`check_deployment`)
so that an auditor can save what was read and re-check it offline.
"""

from __future__ import annotations

from enum import StrEnum

from eth_utils.crypto import keccak
from pydantic import BaseModel, ConfigDict
from web3 import Web3
from web3.exceptions import Web3Exception
from web3.types import BlockIdentifier

from quancheng.chain.manifest import Manifest, ManifestError
from quancheng_node.compile import CompiledArtifacts, ContractArtifact
from quancheng_node.errors import state_not_kept

__all__ = [
    "IMMUTABLES",
    "STORAGE_REFERENCES",
    "DeployedCode",
    "DeploymentMismatch",
    "ManifestClaims",
    "Mismatch",
    "MismatchKind",
    "check_deployment",
    "read_deployment",
    "verify_deployment",
]

#: (contract, immutable) → (the view returning it, or "" if none; what it must hold: a
#: manifest contract name, ``deployer`` or ``voting_period``).
IMMUTABLES: dict[tuple[str, str], tuple[str, str]] = {
    ("ConsortiumRegistry", "_votingPeriod"): ("votingPeriod()", "voting_period"),
    ("DataCatalogue", "_registry"): ("registry()", "ConsortiumRegistry"),
    ("OwnerRegistry", "_registry"): ("registry()", "ConsortiumRegistry"),
    ("OwnerRegistry", "_sm2"): ("", "Sm2Verifier"),
    ("GrantRegistry", "_registry"): ("registry()", "ConsortiumRegistry"),
    ("GrantRegistry", "_catalogue"): ("catalogue()", "DataCatalogue"),
    ("GrantRegistry", "_owners"): ("ownerRegistry()", "OwnerRegistry"),
    ("GrantRegistry", "_sm2"): ("sm2Verifier()", "Sm2Verifier"),
    ("GrantRegistry", "_deployer"): ("", "deployer"),
    ("ReceiptLedger", "_registry"): ("registry()", "ConsortiumRegistry"),
    ("ReceiptLedger", "_grants"): ("grantRegistry()", "GrantRegistry"),
}

#: Cross-references held in storage, read by call: (contract, view) → the contract it must name.
STORAGE_REFERENCES: dict[tuple[str, str], str] = {
    ("GrantRegistry", "receiptLedger()"): "ReceiptLedger",
}


class MismatchKind(StrEnum):
    """``code``: not the build's contract; ``wiring``: the build's, pointing elsewhere."""

    CODE = "code"
    WIRING = "wiring"


class Mismatch(BaseModel):
    """One way a deployment differs from the build and its manifest.

    Attributes:
        contract: The manifest's name of the contract (``GrantRegistry``).
        kind: Code or wiring.
        what: What differs: ``runtime code``, ``receiptLedger()``, ``immutable _deployer``.
        expected: What the build and manifest say it must be.
        found: What the chain holds.
    """

    model_config = ConfigDict(frozen=True)

    contract: str
    kind: MismatchKind
    what: str
    expected: str
    found: str

    def line(self) -> str:
        """``GrantRegistry receiptLedger(): expected 0x…, found 0x…``."""
        return f"{self.contract} {self.what}: expected {self.expected}, found {self.found}"


class DeploymentMismatch(ManifestError):
    """The contracts at a manifest's addresses are not this build's, correctly wired."""

    code = "DEPLOYMENT_MISMATCH"

    def __init__(self, where: str, mismatches: list[Mismatch]) -> None:
        self.where, self.mismatches = where, mismatches
        super().__init__(
            f"{where}: the contracts at its addresses are not this build's, correctly wired: "
            + "; ".join(m.line() for m in mismatches)
            + "; deploy afresh (force=True / --force replaces the manifest) or use the manifest "
            "of the deployment you meant"
        )


class ManifestClaims(BaseModel):
    """What a manifest says the deployed code must hold.

    Attributes:
        addresses: Contract name → its address.
        deployer: The account that deployed (and alone could bind the ledger).
        voting_period: The registry's voting period (seconds).
    """

    model_config = ConfigDict(frozen=True)

    addresses: dict[str, str]
    deployer: str
    voting_period: int

    @classmethod
    def of(cls, manifest: Manifest) -> ManifestClaims:
        """The claims of ``manifest``."""
        return cls(
            addresses={name: rec.address for name, rec in manifest.contracts.items()},
            deployer=manifest.deployer,
            voting_period=manifest.voting_period,
        )

    def word(self, target: str) -> tuple[bytes, str]:
        """The 32-byte word an immutable naming ``target`` must hold, and how to show it."""
        if target == "voting_period":
            return self.voting_period.to_bytes(32, "big"), str(self.voting_period)
        address = self.deployer if target == "deployer" else self.addresses.get(target)
        if address is None:  # edited evidence: the claim is missing, nothing can match it
            return b"", f"{target} (not in the manifest)"
        return bytes(12) + bytes.fromhex(address[2:]), f"{target} {address}"

    def show(self, word: bytes) -> str:
        """A word read from the chain, naming the manifest's contract it is the address of."""
        shown = _show(word)
        names = [n for n, a in self.addresses.items() if a.lower() == shown.lower()]
        if not names and shown.lower() == self.deployer.lower():
            names = ["deployer"]
        return f"{names[0]} {shown}" if names else shown


class DeployedCode(BaseModel):
    """What the chain holds at a manifest's addresses, as read at one block.

    Attributes:
        block: The block it was read at.
        codes: Contract name → its runtime code (``0x`` hex; ``0x`` if none).
        storage: ``Contract.view()`` → the 32-byte word it returned (``0x`` hex), or None if
            the call failed (see :data:`STORAGE_REFERENCES`).
    """

    model_config = ConfigDict(frozen=True)

    block: int
    codes: dict[str, str]
    storage: dict[str, str | None]


def read_deployment(
    w3: Web3, addresses: dict[str, str], block: BlockIdentifier = "latest"
) -> DeployedCode:
    """Read the code at each address, and the storage cross-references, at ``block``."""
    number = int(w3.eth.get_block(block)["number"])
    codes = {
        name: "0x" + bytes(w3.eth.get_code(Web3.to_checksum_address(a), number)).hex()
        for name, a in addresses.items()
    }
    storage: dict[str, str | None] = {}
    for contract, view in STORAGE_REFERENCES:
        to = Web3.to_checksum_address(addresses[contract])
        try:
            word = bytes(w3.eth.call({"to": to, "data": keccak(text=view)[:4]}, number))
        except (Web3Exception, ValueError) as exc:
            if state_not_kept(exc):
                raise  # not an unreadable reference: the node no longer holds that block
            word = None
        storage[f"{contract}.{view}"] = None if word is None else "0x" + word.hex()
    return DeployedCode(block=number, codes=codes, storage=storage)


def verify_deployment(
    w3: Web3, manifest: Manifest, artifacts: CompiledArtifacts | None = None
) -> list[Mismatch]:
    """Every way the contracts at ``manifest``'s addresses differ from ``artifacts`` (the
    committed build by default) and from the wiring the manifest implies; empty if none."""
    claims = ManifestClaims.of(manifest)
    observed = read_deployment(w3, claims.addresses)
    return check_deployment(observed, claims, artifacts or CompiledArtifacts.load())


def check_deployment(
    observed: DeployedCode, claims: ManifestClaims, artifacts: CompiledArtifacts
) -> list[Mismatch]:
    """Check code read from the chain against the build and the manifest's claims (offline)."""
    mismatches: list[Mismatch] = []
    for name, artifact in artifacts.contracts.items():
        code = bytes.fromhex(observed.codes.get(name, "0x")[2:])
        problem = _code_problem(name, code, artifact, artifacts)
        if problem is not None:
            mismatches.append(problem)
            continue  # the immutables of foreign code mean nothing
        mismatches.extend(_immutable_problems(name, code, artifact, claims))
        mismatches.extend(_storage_problems(name, observed, claims))
    return mismatches


def _masked(code: bytes, artifact: ContractArtifact) -> bytes:
    data = bytearray(code)
    for places in artifact.immutable_references.values():
        for p in places:
            data[p.start : p.start + p.length] = bytes(p.length)
    return bytes(data)


def _fits(code: bytes, artifact: ContractArtifact) -> bool:
    build = bytes.fromhex(artifact.deployed_bytecode[2:])
    return len(code) == len(build) and _masked(code, artifact) == _masked(build, artifact)


def _code_problem(
    name: str, code: bytes, artifact: ContractArtifact, artifacts: CompiledArtifacts
) -> Mismatch | None:
    if _fits(code, artifact):
        return None
    build = bytes.fromhex(artifact.deployed_bytecode[2:])
    expected = f"the build's {name} ({len(build)} bytes, keccak {keccak(build).hex()[:16]}…)"
    if not code:
        found = "no code"
    else:
        other = next((n for n, a in artifacts.contracts.items() if _fits(code, a)), None)
        found = (
            f"the build's {other}"
            if other is not None
            else f"other code ({len(code)} bytes, keccak {keccak(code).hex()[:16]}…)"
        )
    return Mismatch(
        contract=name, kind=MismatchKind.CODE, what="runtime code", expected=expected, found=found
    )


def _immutable_problems(
    name: str, code: bytes, artifact: ContractArtifact, claims: ManifestClaims
) -> list[Mismatch]:
    problems: list[Mismatch] = []
    for variable, places in sorted(artifact.immutable_references.items()):
        view, target = IMMUTABLES.get((name, variable), ("", ""))
        what = f"{view} (immutable {variable})" if view else f"immutable {variable}"
        values = sorted({code[p.start : p.start + p.length] for p in places})
        shown = ", ".join(claims.show(v) for v in values)
        if not target:  # a new immutable nobody said what it must hold: fail closed
            problems.append(_wiring(name, what, "an entry in IMMUTABLES", shown))
            continue
        word, expected = claims.word(target)
        if values != [word]:
            problems.append(_wiring(name, what, expected, shown))
    return problems


def _storage_problems(name: str, observed: DeployedCode, claims: ManifestClaims) -> list[Mismatch]:
    problems: list[Mismatch] = []
    for (contract, view), target in STORAGE_REFERENCES.items():
        if contract != name:
            continue
        word, expected = claims.word(target)
        raw = observed.storage.get(f"{contract}.{view}")
        found = "the call failed" if raw is None else claims.show(bytes.fromhex(raw[2:]))
        if raw is None or bytes.fromhex(raw[2:]) != word:
            problems.append(_wiring(name, view, expected, found))
    return problems


def _wiring(contract: str, what: str, expected: str, found: str) -> Mismatch:
    return Mismatch(
        contract=contract, kind=MismatchKind.WIRING, what=what, expected=expected, found=found
    )


def _show(word: bytes) -> str:
    """A 32-byte word as an address when it is one, else as a number or hex."""
    if not any(word):
        return "zero"
    if len(word) == 32 and not any(word[:12]) and any(word[12:]):
        if not any(word[:24]):  # a small number, e.g. a voting period
            return str(int.from_bytes(word, "big"))
        return Web3.to_checksum_address(word[12:])
    return "0x" + word.hex()
