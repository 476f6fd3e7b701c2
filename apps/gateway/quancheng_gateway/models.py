"""The gateway's tables (SQLModel families: ``*Base`` → table model → ``*Public``).

Three groups, all in the gateway's own database:

* the chain view — institutions, resources, owners and grants as the contracts' events
  describe them, checked on ingest, plus the last block processed;
* the subject index — keyed pseudonym → the department's identifier of the owner;
* the receipt log and its batches — what was answered, and what is anchored on chain; the
  log's head and the served counts per (grant, resource), which every replica of the
  department shares.

``max_uses`` is a budget per resource (``GrantRegistry.usesOf(grant, resource)``): each
resource has one provider, which alone counts and records its uses.

Ids and digests are ``0x`` hex, codes are plain strings, times are unix seconds on chain
and unix milliseconds at the gateway (``*_ms``).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Text
from sqlmodel import Field, SQLModel

from quancheng.protocol import AnchorDocument, SignedReceipt

__all__ = [
    "Batch",
    "BatchBase",
    "BatchPublic",
    "BatchStatus",
    "GrantResourceServed",
    "GrantResourceUses",
    "GrantView",
    "InstitutionView",
    "LogHead",
    "OwnerView",
    "ReceiptLogPage",
    "ReceiptPublic",
    "ReceiptRow",
    "ResourceView",
    "Subject",
    "ViewState",
]


# ------------------------------------------------------------------------------ chain view


class ViewState(SQLModel, table=True):
    """How far the chain view has processed the chain."""

    __tablename__ = "view_state"
    key: str = Field(primary_key=True)
    processed_block: int = Field(sa_type=BigInteger)


class InstitutionView(SQLModel, table=True):
    """A consortium member (``InstitutionAdmitted`` and the status/key events)."""

    __tablename__ = "view_institutions"
    code: str = Field(primary_key=True)
    name: str
    role: int
    status: int
    account: str
    sm2_public_key: str


class ResourceView(SQLModel, table=True):
    """A catalogue resource (``ResourceRegistered`` and its updates)."""

    __tablename__ = "view_resources"
    code: str = Field(primary_key=True)
    provider: str
    fields_json: str = Field(sa_type=Text)
    #: The purpose bitmask as a decimal string (uint256 does not fit a SQL integer).
    allowed_purposes: str
    active: bool
    endpoint: str = Field(sa_type=Text)
    #: The catalogue's sensitivity, 1 (public) to 4; answers from 3 up are sealed.
    sensitivity: int = 4


class OwnerView(SQLModel, table=True):
    """An owner's attested key (``OwnerAttested`` / ``OwnerAttestationRevoked``)."""

    __tablename__ = "view_owners"
    pseudonym: str = Field(primary_key=True)
    sm2_public_key: str
    key_version: int
    revoked: bool
    #: False when the attestation document or the attester's signature did not verify.
    attestation_valid: bool = True
    invalid_reason: str | None = None


class GrantView(SQLModel, table=True):
    """A grant: its on-chain terms and status, its document, and the ingest checks."""

    __tablename__ = "view_grants"
    grant_id: str = Field(primary_key=True)
    consumer: str
    owner_pseudonym: str = Field(index=True)
    resources_json: str = Field(sa_type=Text)
    purpose: int
    mode: str
    data_from: int = Field(sa_type=BigInteger)
    data_to: int = Field(sa_type=BigInteger)
    not_before: int = Field(sa_type=BigInteger)
    not_after: int = Field(sa_type=BigInteger)
    #: Uses allowed of each resource (a budget per resource; see GrantResourceUses).
    max_uses: int = Field(sa_type=BigInteger)
    status: int
    #: The canonical grant document (JCS) as emitted in GrantRequested.
    document: str = Field(sa_type=Text)
    document_digest: str
    owner_key: str | None = None
    owner_signature: str | None = None
    #: False once an ingest check failed (never served: GRANT_DOCUMENT_INVALID).
    valid: bool = True
    invalid_reason: str | None = None
    #: True once the owner's approval signature verified against the attested key.
    owner_signature_valid: bool = False


class GrantResourceUses(SQLModel, table=True):
    """Uses of a resource under a grant recorded on chain (``GrantUsesRecorded``'s ``uses``).

    The resource's running total as the event carries it, so applying an event again changes
    nothing; it equals ``GrantRegistry.usesOf(grant, resource)`` at the view's block.
    """

    __tablename__ = "view_grant_uses"
    grant_id: str = Field(primary_key=True)
    resource: str = Field(primary_key=True)
    uses: int = Field(sa_type=BigInteger)


# --------------------------------------------------------------------------- subject index


class Subject(SQLModel, table=True):
    """Keyed pseudonym of an owner → the department's identifier (never leaves here)."""

    __tablename__ = "subject_index"
    pseudonym: str = Field(primary_key=True)
    id_kind: str
    subject_id: str


# ----------------------------------------------------------------------------- receipt log


class ReceiptRow(SQLModel, table=True):
    """One answered query; ``request_id`` is unique so a request is never answered twice."""

    __tablename__ = "receipts"
    log_index: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    receipt_id: str = Field(unique=True)
    request_id: str = Field(unique=True)
    grant_id: str = Field(index=True)
    resource: str
    consumer: str
    served_at_ms: int = Field(sa_type=BigInteger)
    #: Canonical JSON of the SignedReceipt (the Merkle leaf's entry).
    signed_receipt: str = Field(sa_type=Text)


class LogHead(SQLModel, table=True):
    """The receipt log's next position: one row, locked by every append (replicas share it)."""

    __tablename__ = "log_head"
    key: str = Field(primary_key=True)
    next_index: int = Field(sa_type=BigInteger)
    #: Positions below this are in batches anchored on chain (moved with the batch's state).
    anchored_upto: int = Field(default=0, sa_type=BigInteger)


class GrantResourceServed(SQLModel, table=True):
    """Receipts this provider issued per (grant, resource): the budget's counter, with the log."""

    __tablename__ = "grant_resource_served"
    grant_id: str = Field(primary_key=True)
    resource: str = Field(primary_key=True)
    served: int = Field(sa_type=BigInteger)


class BatchStatus:
    """Where a batch is on its way to the chain."""

    CREATED = "created"  # root signed, anchor transaction not confirmed
    ANCHORED = "anchored"  # anchor mined; uses not recorded yet
    DONE = "done"  # uses recorded (or knowingly skipped)


class BatchBase(SQLModel):
    """A batch of the receipt log, as anchored on chain."""

    seq: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    first_index: int = Field(sa_type=BigInteger)
    size: int
    root: str
    prev_root: str
    status: str = BatchStatus.CREATED
    anchor_tx: str | None = None
    anchor_block: int | None = Field(default=None, sa_type=BigInteger)
    uses_tx: str | None = None
    uses_block: int | None = Field(default=None, sa_type=BigInteger)
    uses_note: str | None = Field(default=None, sa_type=Text)
    created_at_ms: int = Field(sa_type=BigInteger)


class Batch(BatchBase, table=True):
    """Batch row; raw transactions are kept so a resend after a crash is idempotent."""

    __tablename__ = "batches"
    signature: str = Field(sa_type=Text)
    anchor_raw_tx: str | None = Field(default=None, sa_type=Text)
    uses_raw_tx: str | None = Field(default=None, sa_type=Text)


class BatchPublic(BatchBase):
    """``GET /v1/batches/{seq}``: the batch row and the signed anchor document."""

    document: AnchorDocument
    signature: str


class ReceiptPublic(SQLModel):
    """``GET /v1/receipts/{id}``: a receipt and, once anchored, where."""

    receipt: SignedReceipt
    batch_seq: int | None = None
    anchored: bool = False
    anchor_tx: str | None = None
    anchor_block: int | None = None


class ReceiptLogPage(SQLModel):
    """``GET /v1/receipts``: a slice of the receipt log (no personal data inside)."""

    from_index: int
    total: int
    receipts: list[SignedReceipt]
