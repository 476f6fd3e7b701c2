"""The portal's own tables (SQLModel): sessions, enrollment codes, failed sign-ins, attested
owners, the access-history cache, and consumers' invitations.

No ID number and no name is stored: a session keeps the pseudonym the authority computed (and,
in development, the demo person's key to greet them); an enrollment code is kept only as its
keyed digest beside the pseudonym. The chain and the gateways' receipt logs are the source of
truth for everything else, cached here only to be shown.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Text
from sqlmodel import Field, SQLModel

__all__ = [
    "AccessRow",
    "AuthFailure",
    "EnrollmentCode",
    "HistoryCursor",
    "InvitationRow",
    "OwnerRow",
    "PortalSession",
]


class PortalSession(SQLModel, table=True):
    """A browser session; the cookie holds a random token, the table only its SM3 digest.

    ``auth`` says how it was signed in: ``None`` (anonymous), ``"key"`` (a signature by the
    owner's key bound on chain), ``"enrolling"`` (an enrollment code: binding a key only) or
    ``"demo"`` (development's demo list).
    """

    __tablename__ = "sessions"
    token_digest: str = Field(primary_key=True)
    csrf_token: str
    auth: str | None = None
    person_key: str | None = None
    pseudonym: str | None = Field(default=None, index=True)
    #: The key that signed the owner in (``0x04…``), to greet them by its fingerprint.
    owner_key: str | None = None
    #: The keyed digest of the enrollment code of an ``enrolling`` session.
    enrollment: str | None = None
    #: The pending sign-in challenge (single use) and until when it may be signed.
    challenge: str | None = None
    challenge_expires_at: int | None = Field(default=None, sa_type=BigInteger)
    created_at: int = Field(sa_type=BigInteger)
    last_seen_at: int = Field(sa_type=BigInteger)
    expires_at: int = Field(sa_type=BigInteger)


class EnrollmentCode(SQLModel, table=True):
    """A one-time code the identity authority issued after its real-name check.

    Only the code's HMAC-SM3 under a key derived from the pseudonym key is kept: a copy of the
    database does not reveal a usable code, nor whose ID number it was issued for.
    """

    __tablename__ = "enrollment_codes"
    code_digest: str = Field(primary_key=True)
    pseudonym: str = Field(index=True)
    issued_at: int = Field(sa_type=BigInteger)
    expires_at: int = Field(sa_type=BigInteger)
    #: When a key was attested with it (it is then spent), and that key.
    used_at: int | None = Field(default=None, sa_type=BigInteger)
    bound_key: str | None = None


class AuthFailure(SQLModel, table=True):
    """A failed sign-in or enrollment attempt, counted per session and per client address."""

    __tablename__ = "auth_failures"
    id: int | None = Field(default=None, primary_key=True)
    bucket: str = Field(index=True)
    at: int = Field(sa_type=BigInteger, index=True)


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


class InvitationRow(SQLModel, table=True):
    """A consumer's invitation, addressed to the pseudonym the authority computed.

    ``document`` is the consumer's signed ``quancheng.invitation/1`` as received: it names the
    owner by a salted commitment only, and the ID number and salt that open it are dropped once
    the pseudonym is computed — nothing here leads back to an ID number. ``status`` is
    ``pending``, ``accepted`` or ``declined`` (expiry is judged when read); ``grant_id`` is the
    grant request found to carry the accepted terms.
    """

    __tablename__ = "invitations"
    invitation_id: str = Field(primary_key=True)
    consumer: str = Field(index=True)
    owner_pseudonym: str = Field(index=True)
    document: str = Field(sa_type=Text)
    signature: str
    digest: str
    received_at: int = Field(sa_type=BigInteger, index=True)
    expires_at_ms: int = Field(sa_type=BigInteger)
    status: str = "pending"
    decided_at: int | None = Field(default=None, sa_type=BigInteger)
    acceptance: str | None = Field(default=None, sa_type=Text)
    acceptance_signature: str | None = None
    grant_id: str | None = None
