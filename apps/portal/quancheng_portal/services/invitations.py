"""The owners' side of invitations: see them in plain Chinese, accept (signed in the browser
with the key bound on chain) or decline, and find the grant request that follows an acceptance.

An acceptance is the canonical ``quancheng.invitation-acceptance/1`` over the invitation's id
and digest, its consumer and the owner's pseudonym; it is checked here against the owner's key
on chain before it is kept, and handed to the consumer, which checks it again.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from quancheng._util import describe
from quancheng.chain import ContractSet
from quancheng.crypto import InvalidSignature, SM2PublicKey
from quancheng.protocol import signing_bytes
from quancheng.protocol.invitations import AcceptanceDocument, InvitationDocument
from quancheng_portal.core import errors as e
from quancheng_portal.core import invitation_errors as ie
from quancheng_portal.models import InvitationRow
from quancheng_portal.services.directory import Directory
from quancheng_portal.services.grants import GrantView
from quancheng_portal.services.invitation_terms import matches
from quancheng_portal.services.labels import (
    MODE_EXPLAINED,
    MODE_LABELS,
    Name,
    cst_text,
    tier_label,
    tier_warning,
)

__all__ = ["InvitationScope", "InvitationView", "OwnerInvitations"]

_STATUS_LABELS = {
    "pending": "待您处理",
    "accepted": "已接受",
    "declined": "已拒绝",
    "expired": "已过期",
}


class InvitationScope(BaseModel):
    """One resource of an invitation, by its Chinese names."""

    resource: Name
    provider: Name | None
    items: list[Name]


class InvitationView(BaseModel):
    """An invitation as the owner sees it."""

    invitation_id: str
    digest: str
    consumer: str
    consumer_name: Name
    owner_pseudonym: str
    tier_label: str
    tier_warning: str | None
    mode: str
    mode_label: str
    mode_explained: str
    scope: list[InvitationScope]
    data_from: str
    data_to: str
    valid_days: int
    max_uses: int
    message: str
    received_text: str
    expires_text: str
    status: str
    status_label: str
    grant_id: str | None

    @property
    def short_id(self) -> str:
        """The first hex digits of the id, to tell invitations apart on a page."""
        return self.invitation_id[2:10]


class OwnerInvitations:
    """Invitations addressed to signed-in owners.

    Args:
        engine: The portal's database.
        contracts: The deployment (owners' keys).
        directory: Names of institutions, resources, fields and indicators.
        clock: Wall-clock seconds.
        max_skew_s: How far an acceptance's time may be from the portal's.
    """

    def __init__(
        self, engine: Engine, contracts: ContractSet, directory: Directory, *,
        clock: Callable[[], float], max_skew_s: float,
    ) -> None:  # fmt: skip
        self.engine, self.contracts, self.directory = engine, contracts, directory
        self.clock, self.max_skew_s = clock, max_skew_s

    def open_for(self, pseudonym: bytes) -> list[InvitationView]:
        """The owner's invitations to answer, and those accepted whose grant request has not
        come yet; newest first."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(InvitationRow)
                .where(InvitationRow.owner_pseudonym == "0x" + pseudonym.hex())
                .where(col(InvitationRow.grant_id).is_(None))
                .where(col(InvitationRow.status).in_(("pending", "accepted")))
                .order_by(col(InvitationRow.received_at).desc())
            ).all()
        views = [self._view(row) for row in rows]
        return [v for v in views if v.status != "expired"]

    def document(self, pseudonym: bytes, invitation_id: str) -> InvitationRow:
        """The owner's invitation as received (its canonical document and digest).

        Raises:
            InvitationNotFound: No such invitation of this owner.
        """
        with Session(self.engine) as session:
            row = session.get(InvitationRow, invitation_id)
        if row is None or row.owner_pseudonym != "0x" + pseudonym.hex():
            raise ie.InvitationNotFound(invitation_id=invitation_id)
        return row

    def accept(
        self, pseudonym: bytes, invitation_id: str, document: bytes, signature: bytes
    ) -> InvitationView:
        """Keep the owner's signed acceptance.

        Raises:
            PortalError: The refusal naming the first check that failed (nothing is kept).
        """
        row = self._open(pseudonym, invitation_id)
        acceptance = _acceptance(document)
        expected = {
            "invitation_id": row.invitation_id, "invitation_digest": row.digest,
            "consumer": row.consumer, "owner_pseudonym": row.owner_pseudonym,
        }  # fmt: skip
        for name, value in expected.items():
            if getattr(acceptance, name) != value:
                raise ie.AcceptanceMismatch(field=name)
        if abs(acceptance.accepted_at - self.clock()) > self.max_skew_s:
            raise e.StaleAction()
        owner = self.contracts.owner(pseudonym)
        if owner.key_version == 0 or owner.revoked:
            raise e.OwnerKeyMissing()
        try:
            SM2PublicKey.from_bytes(owner.sm2_public_key).verify(signature, document)
        except (InvalidSignature, ValueError):
            raise e.OwnerSignatureInvalid() from None
        self._decide(row, "accepted", acceptance=document.decode(),
                     acceptance_signature=base64.b64encode(signature).decode())  # fmt: skip
        return self._view(self.document(pseudonym, invitation_id))

    def decline(self, pseudonym: bytes, invitation_id: str) -> InvitationView:
        """Decline: the consumer is told so (ignoring it instead tells it nothing).

        Raises:
            InvitationNotFound, InvitationNotPending, InvitationExpired: As :meth:`accept`.
        """
        row = self._open(pseudonym, invitation_id)
        self._decide(row, "declined")
        return self._view(self.document(pseudonym, invitation_id))

    def links(self, pseudonym: bytes, grants: list[GrantView]) -> dict[str, InvitationView]:
        """The accepted invitation each pending grant request carries out, by grant id.

        A request is linked to the first accepted invitation of its consumer with exactly its
        terms that no other request took; the link is kept.
        """
        with Session(self.engine) as session:
            rows = session.exec(
                select(InvitationRow)
                .where(InvitationRow.owner_pseudonym == "0x" + pseudonym.hex())
                .where(InvitationRow.status == "accepted")
                .order_by(col(InvitationRow.received_at))
            ).all()
            found: dict[str, InvitationView] = {}
            for grant in grants:
                row = next((r for r in rows if r.grant_id == grant.grant_id), None) or next(
                    (r for r in rows if r.grant_id is None and matches(_doc(r), grant)), None
                )
                if row is None:
                    continue
                if row.grant_id is None:
                    row.grant_id = grant.grant_id
                    session.add(row)
                found[grant.grant_id] = self._view(row)
            session.commit()
        return found

    # ----------------------------------------------------------------------- internals

    def _open(self, pseudonym: bytes, invitation_id: str) -> InvitationRow:
        row = self.document(pseudonym, invitation_id)
        if row.status != "pending":
            raise ie.InvitationNotPending(status_label=_STATUS_LABELS[row.status])
        if self.clock() * 1000 >= row.expires_at_ms:
            raise ie.InvitationExpired(invitation_id=invitation_id)
        return row

    def _decide(self, row: InvitationRow, status: str, **values: Any) -> None:
        """Move a pending invitation on, once: of two racing answers, one wins."""
        with Session(self.engine) as session:
            result = session.exec(
                update(InvitationRow)
                .where(col(InvitationRow.invitation_id) == row.invitation_id)
                .where(col(InvitationRow.status) == "pending")
                .values(status=status, decided_at=int(self.clock()), **values)
            )
            session.commit()
        if result.rowcount != 1:
            raise ie.InvitationNotPending(status_label="已处理")

    def _view(self, row: InvitationRow) -> InvitationView:
        doc = _doc(row)
        status = row.status
        if status == "pending" and self.clock() * 1000 >= row.expires_at_ms:
            status = "expired"
        scope = []
        for item in doc.scope:
            info = self.directory.resource(item.resource)
            scope.append(
                InvitationScope(
                    resource=self.directory.resource_name(item.resource),
                    provider=self.directory.institution(info.provider) if info.provider else None,
                    items=self.directory.item_names(item.resource, item.fields, doc.mode),
                )
            )
        purpose = int(doc.purpose)
        return InvitationView(
            invitation_id=row.invitation_id, digest=row.digest, consumer=doc.consumer,
            consumer_name=self.directory.institution(doc.consumer),
            owner_pseudonym=row.owner_pseudonym, tier_label=tier_label(purpose),
            tier_warning=tier_warning(purpose), mode=doc.mode.value,
            mode_label=MODE_LABELS[doc.mode], mode_explained=MODE_EXPLAINED[doc.mode],
            scope=scope, data_from=doc.data_from, data_to=doc.data_to,
            valid_days=max(1, doc.valid_for_s // 86_400), max_uses=doc.max_uses,
            message=doc.message, received_text=cst_text(row.received_at),
            expires_text=cst_text(row.expires_at_ms // 1000), status=status,
            status_label=_STATUS_LABELS[status], grant_id=row.grant_id,
        )  # fmt: skip


def _doc(row: InvitationRow) -> InvitationDocument:
    return InvitationDocument.model_validate_json(row.document)


def _acceptance(document: bytes) -> AcceptanceDocument:
    try:
        parsed = AcceptanceDocument.model_validate_json(document)
    except ValidationError as exc:
        raise e.ActionDocumentInvalid(reason=describe(exc)) from None
    if signing_bytes(parsed) != document:
        raise e.ActionNotCanonical()
    return parsed
