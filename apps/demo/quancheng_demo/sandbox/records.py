"""The records ``sandbox.json`` is made of: consumers' credentials, seeded owners and grants.

Plain pydantic models with nothing heavy behind them, so ``status`` and ``down`` read them
without loading the stack.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

__all__ = [
    "ConsumerCredentials",
    "Endpoints",
    "SandboxDescription",
    "ScopeEntry",
    "SeededAttestation",
    "SeededGrant",
    "SeededOwner",
]


class SeededAttestation(BaseModel):
    """The identity authority's attestation of an owner's key (as recorded on chain)."""

    document: dict[str, object]
    signature_b64: str
    tx_hash: str


class SeededOwner(BaseModel):
    """A citizen or enterprise with an attested wallet key (synthetic identity)."""

    role: str
    kind: Literal["person", "enterprise"]
    name: str
    id_kind: Literal["resident_id", "uscc"]
    identifier: str
    pseudonym: str
    public_key: str
    wallet_key_file: Path
    attestation: SeededAttestation


class ScopeEntry(BaseModel):
    """One resource of a grant and the fields (RAW) or indicators (DERIVED) it allows."""

    resource: str
    fields: list[str]


class SeededGrant(BaseModel):
    """A grant on chain, as an SDK user looks it up."""

    grant_id: str
    consumer: str  # alias: "bank", "insurer"
    consumer_code: str
    owner: str  # the owner's role
    owner_name: str
    template: str
    title: str
    purpose: str
    mode: str
    status: Literal["ACTIVE", "PENDING"]
    max_uses: int
    data_from: date
    data_to: date
    scope: list[ScopeEntry]


class ConsumerCredentials(BaseModel):
    """One consumer's identity, as the SDK loads it.

    ``institution`` is ``Institution.load``'s keyword arguments; ``tls`` is ``TlsConfig``'s
    (files as paths), or None when the sandbox serves plain HTTP on loopback.
    """

    code: str
    name: str
    chain_account: str
    institution: dict[str, str]
    tls: dict[str, str] | None
    #: The prefix of its variables in sandbox.env (``Institution.from_env(prefix)``).
    env_prefix: str


class Endpoints(BaseModel):
    """Where everything answers."""

    chain: str
    gateways: dict[str, dict[str, str]]  # provider code → {"name", "url"}
    portal: str
    claims: str | None
    credit: str | None


class SandboxDescription(BaseModel):
    """``sandbox.json``: a running sandbox, as an SDK user needs it."""

    format: Literal["quancheng.sandbox/1"] = "quancheng.sandbox/1"
    about: str
    rpc_url: str
    chain_id: int
    manifest: Path
    ca_file: Path | None
    evidence_dir: Path
    endpoints: Endpoints
    consumers: dict[str, ConsumerCredentials]
    owners: list[SeededOwner]
    grants: list[SeededGrant]
    #: The claims/credit services' operator token (their pages ask for it once).
    officer_token: str | None = None
    unavailable: dict[str, str]
