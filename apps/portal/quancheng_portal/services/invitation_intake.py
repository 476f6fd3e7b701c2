"""The consumers' side of invitations: take one (``POST /v1/invitations``), report on it
(``GET /v1/invitations/{id}``).

A consumer is authenticated as gateways authenticate it: its SM2 signature, checked with the key
the chain registers for it, an ACTIVE CONSUMER, over a document naming the channel of the TLS
client certificate the request arrives with (only a development portal on loopback, which asks
no certificate, takes unbound documents). A status read carries a reader token
(:mod:`quancheng.protocol.reader_token`) whose audience is the authority's code.

An invitation is stored addressed to the keyed pseudonym of the ID number it opens, **whether or
not such an owner exists or is enrolled**: nothing in this module looks the owner up, so the
answer, its shape and its work are the same for everyone. The ID number and salt are dropped
once the pseudonym is computed.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from quancheng._util import describe
from quancheng.authority import IdentityAuthority
from quancheng.chain.records import InstitutionRecord
from quancheng.chain.types import InstitutionStatus, Role, code32
from quancheng.crypto import InvalidSignature, SM2PublicKey
from quancheng.errors import QuanchengError
from quancheng.protocol import signing_bytes
from quancheng.protocol.documents import unb64
from quancheng.protocol.invitations import (
    InvitationDocument,
    InvitationSubmission,
    id_number_problem,
    subject_commitment,
)
from quancheng.protocol.reader_token import parse_reader_header
from quancheng_portal.core import invitation_errors as ie
from quancheng_portal.core.errors import ChainUnavailable
from quancheng_portal.models import InvitationRow
from quancheng_portal.services.directory import Directory
from quancheng_portal.services.invitation_terms import scope_problems_of

__all__ = ["InvitationIntake", "consumer_status"]

#: Nonces of status reads remembered per process (beyond, the oldest are forgotten: a read
#: replayed within the skew window returns what the consumer may read anyway).
_MAX_NONCES = 100_000


class InvitationIntake:
    """Receives consumers' invitations and answers their status reads.

    Args:
        authority: The identity authority (pseudonyms, chain reads).
        directory: The catalogue and the providers' schemas.
        engine: The portal's database.
        clock: Wall-clock seconds.
        max_skew_s: How far a document's time may be from the portal's.
        per_hour: Invitations one consumer may send in an hour.
        unbound_ok: Take documents naming no channel on connections without a certificate.
    """

    def __init__(
        self, authority: IdentityAuthority, directory: Directory, engine: Engine, *,
        clock: Callable[[], float], max_skew_s: float, per_hour: int, unbound_ok: bool,
    ) -> None:  # fmt: skip
        self.authority, self.directory, self.engine, self.clock = (
            authority,
            directory,
            engine,
            clock,
        )
        self.max_skew_s, self.per_hour, self.unbound_ok = max_skew_s, per_hour, unbound_ok
        self._nonces: dict[str, float] = {}
        self._lock = threading.Lock()

    # ---------------------------------------------------------------------------- taking

    def receive(self, body: bytes, channel: str | None) -> InvitationRow:
        """Check and store an invitation; the row (the same for every owner, enrolled or not).

        Raises:
            PortalError: The refusal naming the first check that failed; nothing is stored.
        """
        try:
            sub = InvitationSubmission.model_validate_json(body)
        except ValidationError as exc:
            raise ie.InvitationMalformed(reason=describe(exc)) from None
        doc = sub.invitation
        self._check_channel(doc.channel, channel)
        now = self.clock()
        if abs(doc.issued_at_ms / 1000 - now) > self.max_skew_s:
            raise ie.InvitationClockSkew(max_skew_s=int(self.max_skew_s))
        if doc.expires_at_ms <= now * 1000:
            raise ie.InvitationMalformed(reason="expires_at_ms 已过")
        self._check_consumer(doc.consumer, signing_bytes(doc), sub.signature)
        if problems := scope_problems_of(doc, self.authority.contracts, self.directory, now):
            raise ie.InvitationScopeInvalid(reason="；".join(problems), problems=problems)
        pseudonym = self._pseudonym(doc, sub.subject.id_number, sub.subject.salt)
        return self._store(doc, sub.signature, pseudonym, int(now))

    def _check_channel(self, signed: str | None, connection: str | None) -> None:
        if signed is None:
            if connection is None and self.unbound_ok:
                return
            raise ie.ChannelRequired()
        if connection is None:
            raise ie.ChannelRequired()
        if signed.lower() != connection.lower():
            raise ie.ChannelMismatch()

    def _check_consumer(self, code: str, signed: bytes, signature: str) -> InstitutionRecord:
        record = _chain(lambda: self.authority.contracts.institution(code32(code)))
        if record.status is InstitutionStatus.NONE:
            raise ie.ConsumerUnknown(consumer=code)
        try:
            SM2PublicKey.from_bytes(record.sm2_public_key).verify(unb64(signature), signed)
        except (InvalidSignature, ValueError, QuanchengError):
            raise ie.InvitationSignatureInvalid(consumer=code) from None
        if record.role is not Role.CONSUMER or record.status is not InstitutionStatus.ACTIVE:
            raise ie.ConsumerNotActive(
                consumer=code, role=Role(record.role).name,
                membership=InstitutionStatus(record.status).name,
            )  # fmt: skip
        return record

    def _pseudonym(self, doc: InvitationDocument, id_number: str, salt: str) -> bytes:
        kind = doc.subject.id_kind
        if problem := id_number_problem(kind, id_number):
            raise ie.IdNumberInvalid(reason=problem)
        if subject_commitment(kind, id_number, salt) != doc.subject.commitment:
            raise ie.SubjectOpeningInvalid()
        return self.authority.pseudonym_of(kind, id_number)

    def _store(
        self, doc: InvitationDocument, signature: str, pseudonym: bytes, now: int
    ) -> InvitationRow:
        row = InvitationRow(
            invitation_id=doc.invitation_id, consumer=doc.consumer,
            owner_pseudonym="0x" + pseudonym.hex(), document=signing_bytes(doc).decode(),
            signature=signature, digest=doc.digest_hex(), received_at=now,
            expires_at_ms=doc.expires_at_ms,
        )  # fmt: skip
        with Session(self.engine) as session:
            if session.get(InvitationRow, doc.invitation_id) is not None:
                raise ie.InvitationReplayed(invitation_id=doc.invitation_id)
            recent = session.exec(
                select(func.count())
                .select_from(InvitationRow)
                .where(
                    InvitationRow.consumer == doc.consumer, InvitationRow.received_at > now - 3600
                )
            ).one()
            if recent >= self.per_hour:
                raise ie.TooManyInvitations(consumer=doc.consumer, limit=self.per_hour,
                                            retry_after_s=3600)  # fmt: skip
            session.add(row)
            session.commit()
            session.refresh(row)
        return row

    # --------------------------------------------------------------------------- reading

    def status_for(
        self, invitation_id: str, header: str | None, *, target: str, channel: str | None
    ) -> dict[str, Any]:
        """The invitation as its consumer may see it.

        Raises:
            ReaderTokenInvalid, ChannelRequired, ChannelMismatch, ConsumerNotActive: Not an
                authenticated ACTIVE consumer.
            InvitationNotFound: No such invitation of this consumer (another's looks the same).
        """
        member = self._reader(header, target=target, channel=channel)
        with Session(self.engine) as session:
            row = session.get(InvitationRow, invitation_id)
        if row is None or row.consumer != member:
            raise ie.InvitationNotFound(invitation_id=invitation_id)
        return consumer_status(row, self.clock())

    def _reader(self, header: str | None, *, target: str, channel: str | None) -> str:
        if header is None:
            raise ie.ReaderTokenInvalid(reason="缺少 QC-Reader-Token")
        try:
            token, body, signature = parse_reader_header(header)
        except ValueError as exc:
            raise ie.ReaderTokenInvalid(reason=str(exc)) from None
        if token.method != "GET" or token.target != target:
            raise ie.ReaderTokenInvalid(reason="凭证是为另一个请求签的")
        if token.audience != self.authority.institution.code:
            raise ie.ReaderTokenInvalid(reason="凭证的 audience 不是本门户")
        self._check_channel(token.channel, channel)
        now = self.clock()
        if abs(token.issued_at_ms / 1000 - now) > self.max_skew_s:
            raise ie.ReaderTokenInvalid(reason="凭证已过期或时钟不准")
        signed = base64.b64encode(signature).decode("ascii")
        self._check_consumer(token.member, body, signed)
        self._spend_nonce(f"{token.member}:{token.nonce}", now)
        return token.member

    def _spend_nonce(self, key: str, now: float) -> None:
        with self._lock:
            if key in self._nonces:
                raise ie.ReaderTokenInvalid(reason="凭证已经用过")
            if len(self._nonces) >= _MAX_NONCES:
                horizon = now - 2 * self.max_skew_s
                self._nonces = {k: t for k, t in self._nonces.items() if t > horizon}
            self._nonces[key] = now


def consumer_status(row: InvitationRow, now: float) -> dict[str, Any]:
    """The consumer's view of an invitation: its status and, once accepted, the owner's
    pseudonym and signed acceptance (nothing else about the owner, ever)."""
    status = row.status
    if status == "pending" and now * 1000 >= row.expires_at_ms:
        status = "expired"
    accepted = status == "accepted"
    return {
        "invitation_id": row.invitation_id,
        "status": status,
        "expires_at_ms": row.expires_at_ms,
        "owner_pseudonym": row.owner_pseudonym if accepted else None,
        "acceptance": base64.b64encode(row.acceptance.encode()).decode()
        if accepted and row.acceptance
        else None,
        "acceptance_signature": row.acceptance_signature if accepted else None,
        "grant_id": row.grant_id if accepted else None,
    }


def _chain(read: Callable[[], InstitutionRecord]) -> InstitutionRecord:
    try:
        return read()
    except (QuanchengError, OSError):
        raise ChainUnavailable() from None
