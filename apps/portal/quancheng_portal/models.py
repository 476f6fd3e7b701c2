"""The portal's own tables (SQLModel): sessions, attested owners, and the access-history cache.

No ID number and no name is stored: a session keeps the demo person's key (to show whom the
owner signed in as) and the pseudonym the authority computed; the chain and the gateways'
receipt logs are the source of truth for everything else, cached here only to be shown.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Text
from sqlmodel import Field, SQLModel

__all__ = ["AccessRow", "HistoryCursor", "OwnerRow", "PortalSession"]


class PortalSession(SQLModel, table=True):
    """A browser session; the cookie holds a random token, the table only its SM3 digest."""

    __tablename__ = "sessions"
    token_digest: str = Field(primary_key=True)
    csrf_token: str
    person_key: str | None = None
    pseudonym: str | None = Field(default=None, index=True)
    created_at: int = Field(sa_type=BigInteger)
    expires_at: int = Field(sa_type=BigInteger)


class OwnerRow(SQLModel, table=True):
    """An owner key this portal attested, with the attestation document (the chain keeps only
    the authority's signature over it, so auditors need the document from here)."""

    __tablename__ = "owners"
    pseudonym: str = Field(primary_key=True)
    public_key: str
    attestation: str = Field(sa_type=Text)  # canonical AttestationDocument
    attestation_signature: str  # base64 DER
    tx_hash: str
    attested_at: int = Field(sa_type=BigInteger)


class HistoryCursor(SQLModel, table=True):
    """How far an owner's history has read one gateway's receipt log."""

    __tablename__ = "history_cursors"
    owner_pseudonym: str = Field(primary_key=True)
    endpoint: str = Field(primary_key=True)
    next_index: int = Field(default=0, sa_type=BigInteger)
    refreshed_at: int = Field(default=0, sa_type=BigInteger)


class AccessRow(SQLModel, table=True):
    """One receipt of an access to an owner's data, and what the portal verified about it.

    ``signature`` is ``ok`` or ``bad``; ``inclusion`` is ``ok`` (in a batch anchored on chain
    with a valid proof), ``pending`` (not anchored yet), ``bad`` or ``unknown`` (the gateway
    could not be asked). ``problem`` names the failed check.
    """

    __tablename__ = "accesses"
    receipt_id: str = Field(primary_key=True)
    owner_pseudonym: str = Field(index=True)
    grant_id: str = Field(index=True)
    endpoint: str
    provider: str
    consumer: str
    resource: str
    purpose: int
    log_index: int = Field(sa_type=BigInteger)
    served_at_ms: int = Field(sa_type=BigInteger)
    signed_receipt: str = Field(sa_type=Text)
    signature: str
    inclusion: str
    problem: str | None = None
    anchor_seq: int | None = None
    anchor_block: int | None = None
    checked_at: int = Field(sa_type=BigInteger)
