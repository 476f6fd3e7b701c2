"""Applying the contracts' events to the chain-view tables (one transaction per range)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Table, insert, select, update

from quancheng.chain import ContractSet
from quancheng.chain.follower import FollowedEvent
from quancheng.chain.types import GrantStatus, InstitutionStatus, decode_code32
from quancheng.protocol import GrantAction, GrantMode
from quancheng_gateway.ingest import (
    IngestFailure,
    check_action,
    check_approval,
    check_attestation,
    check_grant_document,
)
from quancheng_gateway.models import (
    GrantResourceUses,
    GrantView,
    InstitutionView,
    OwnerView,
    ResourceView,
)

__all__ = ["EventApplier"]

_log = logging.getLogger("quancheng_gateway.view")

INST: Table = InstitutionView.__table__  # type: ignore[attr-defined]
RES: Table = ResourceView.__table__  # type: ignore[attr-defined]
OWN: Table = OwnerView.__table__  # type: ignore[attr-defined]
GR: Table = GrantView.__table__  # type: ignore[attr-defined]
USES: Table = GrantResourceUses.__table__  # type: ignore[attr-defined]

_ACTIONS = {
    "GrantRejected": (GrantAction.REJECT, GrantStatus.REJECTED),
    "GrantPaused": (GrantAction.PAUSE, GrantStatus.PAUSED),
    "GrantResumed": (GrantAction.RESUME, GrantStatus.ACTIVE),
    "GrantRevoked": (GrantAction.REVOKE, GrantStatus.REVOKED),
}


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def _code(value: bytes) -> str:
    return decode_code32(value) or _hex(value)


def _upsert(conn: Connection, table: Table, key: str, values: dict[str, Any]) -> None:
    col = table.c[key]
    done = conn.execute(update(table).where(col == values[key]).values(**values))
    if done.rowcount == 0:
        conn.execute(insert(table).values(**values))


class EventApplier:
    """Turns followed events into rows; knows this gateway's provider code."""

    def __init__(self, contracts: ContractSet, provider: str) -> None:
        self.contracts = contracts
        self.provider = provider
        self.changed_members = False
        self._handlers: dict[str, Callable[[Connection, FollowedEvent], None]] = {
            "InstitutionAdmitted": self._admitted,
            "InstitutionSuspended": self._member_status(InstitutionStatus.SUSPENDED),
            "InstitutionReinstated": self._member_status(InstitutionStatus.ACTIVE),
            "InstitutionRemoved": self._member_status(InstitutionStatus.REMOVED),
            "InstitutionKeyRotated": self._key_rotated,
            "ResourceRegistered": self._resource,
            "ResourceUpdated": self._resource,
            "ResourceEndpointChanged": self._endpoint,
            "ResourceDeactivated": self._resource_active(False),
            "ResourceReactivated": self._resource_active(True),
            "OwnerAttested": self._attested,
            "OwnerAttestationRevoked": self._attestation_revoked,
            "GrantRequested": self._requested,
            "GrantActivated": self._activated,
            "GrantRejected": self._action,
            "GrantPaused": self._action,
            "GrantResumed": self._action,
            "GrantRevoked": self._action,
            "GrantUsesRecorded": self._uses,
            "GrantExhausted": self._exhausted,
        }

    def apply(self, conn: Connection, event: FollowedEvent) -> None:
        handler = self._handlers.get(event.name)
        if handler is not None:
            handler(conn, event)

    # ------------------------------------------------------------------ institutions

    def _admitted(self, conn: Connection, e: FollowedEvent) -> None:
        a = e.args
        _upsert(
            conn,
            INST,
            "code",
            {
                "code": _code(a["institutionId"]),
                "name": a["name"],
                "role": int(a["role"]),
                "status": int(InstitutionStatus.ACTIVE),
                "account": str(a["account"]),
                "sm2_public_key": _hex(a["sm2PublicKey"]),
            },
        )
        self.changed_members = True

    def _member_status(
        self, status: InstitutionStatus
    ) -> Callable[[Connection, FollowedEvent], None]:
        def _apply(conn: Connection, e: FollowedEvent) -> None:
            code = _code(e.args["institutionId"])
            conn.execute(update(INST).where(INST.c.code == code).values(status=int(status)))
            self.changed_members = True

        return _apply

    def _key_rotated(self, conn: Connection, e: FollowedEvent) -> None:
        a = e.args
        conn.execute(
            update(INST)
            .where(INST.c.code == _code(a["institutionId"]))
            .values(account=str(a["newAccount"]), sm2_public_key=_hex(a["newSm2PublicKey"]))
        )
        self.changed_members = True

    # --------------------------------------------------------------------- resources

    def _resource(self, conn: Connection, e: FollowedEvent) -> None:
        a = e.args
        code = _code(a["resourceId"])
        provider = _code(a["providerId"]) if "providerId" in a else None
        if provider is None:
            row = conn.execute(select(RES.c.provider).where(RES.c.code == code)).first()
            provider = row[0] if row else ""
        values = {
            "code": code,
            "provider": provider,
            "fields_json": json.dumps([_code(f) for f in a["fields"]]),
            "allowed_purposes": str(int(a["allowedPurposes"])),
            "endpoint": a["endpoint"],
            "sensitivity": int(a["sensitivity"]),
        }
        if e.name == "ResourceRegistered":
            values["active"] = True
        _upsert(conn, RES, "code", values)
        self.changed_members = True

    def _endpoint(self, conn: Connection, e: FollowedEvent) -> None:
        code = _code(e.args["resourceId"])
        conn.execute(update(RES).where(RES.c.code == code).values(endpoint=e.args["endpoint"]))
        self.changed_members = True

    def _resource_active(self, active: bool) -> Callable[[Connection, FollowedEvent], None]:
        def _apply(conn: Connection, e: FollowedEvent) -> None:
            code = _code(e.args["resourceId"])
            conn.execute(update(RES).where(RES.c.code == code).values(active=active))
            self.changed_members = True

        return _apply

    # ------------------------------------------------------------------------ owners

    def _attested(self, conn: Connection, e: FollowedEvent) -> None:
        a = e.args
        pseudonym = _hex(a["pseudonym"])
        attester = _code(a["attesterId"])
        key_row = conn.execute(select(INST.c.sm2_public_key).where(INST.c.code == attester)).first()
        values: dict[str, Any] = {
            "pseudonym": pseudonym,
            "sm2_public_key": _hex(a["sm2PublicKey"]),
            "key_version": int(a["keyVersion"]),
            "revoked": False,
            "attestation_valid": True,
            "invalid_reason": None,
        }
        try:
            check_attestation(
                bytes(a["attestationDocument"]),
                bytes(a["attestation"]),
                attester=attester,
                attester_key=key_row[0] if key_row else None,
                pseudonym=bytes(a["pseudonym"]),
                owner_key=bytes(a["sm2PublicKey"]),
            )
        except IngestFailure as exc:
            values.update(attestation_valid=False, invalid_reason=str(exc))
            _log.warning("owner %s: attestation refused on ingest: %s", pseudonym, exc)
        _upsert(conn, OWN, "pseudonym", values)

    def _attestation_revoked(self, conn: Connection, e: FollowedEvent) -> None:
        pseudonym = _hex(e.args["pseudonym"])
        conn.execute(update(OWN).where(OWN.c.pseudonym == pseudonym).values(revoked=True))

    # ------------------------------------------------------------------------ grants

    def _requested(self, conn: Connection, e: FollowedEvent) -> None:
        a = e.args
        grant_id = _hex(a["grantId"])
        terms = self.contracts.grant(a["grantId"])  # immutable terms; one read per grant
        consumer = _code(a["consumerId"])
        key_row = conn.execute(select(INST.c.sm2_public_key).where(INST.c.code == consumer)).first()
        document = bytes(a["document"])
        values: dict[str, Any] = {
            "grant_id": grant_id,
            "consumer": consumer,
            "owner_pseudonym": _hex(a["ownerPseudonym"]),
            "resources_json": json.dumps([_code(r) for r in terms.resource_ids]),
            "purpose": terms.purpose,
            "mode": GrantMode.RAW.value if terms.mode == 0 else GrantMode.DERIVED.value,
            "data_from": terms.data_from,
            "data_to": terms.data_to,
            "not_before": terms.not_before,
            "not_after": terms.not_after,
            "max_uses": terms.max_uses,
            "status": int(GrantStatus.PENDING),
            "document": document.decode("utf-8", "replace"),
            "document_digest": _hex(a["documentDigest"]),
            "valid": True,
        }
        try:
            doc = check_grant_document(
                document,
                bytes(a["documentDigest"]),
                bytes(a["consumerSignature"]),
                key_row[0] if key_row else None,
                terms,
            )
            values["owner_key"] = doc.owner_key
        except IngestFailure as exc:
            values.update(valid=False, invalid_reason=str(exc))
            _log.warning("grant %s refused on ingest: %s", grant_id, exc)
        _upsert(conn, GR, "grant_id", values)

    def _grant(self, conn: Connection, grant_id: str) -> Any:
        return conn.execute(select(GR).where(GR.c.grant_id == grant_id)).first()

    def _owner_key(self, conn: Connection, pseudonym: str) -> tuple[str | None, bool]:
        row = conn.execute(
            select(OWN.c.sm2_public_key, OWN.c.revoked).where(OWN.c.pseudonym == pseudonym)
        ).first()
        return (row[0], bool(row[1])) if row else (None, True)

    def _set(self, conn: Connection, grant_id: str, **values: Any) -> None:
        conn.execute(update(GR).where(GR.c.grant_id == grant_id).values(**values))

    def _activated(self, conn: Connection, e: FollowedEvent) -> None:
        grant_id = _hex(e.args["grantId"])
        row = self._grant(conn, grant_id)
        if row is None:
            return
        signature = bytes(e.args["ownerSignature"])
        values: dict[str, Any] = {
            "status": int(GrantStatus.ACTIVE),
            "owner_signature": _hex(signature),
        }
        key, revoked = self._owner_key(conn, row.owner_pseudonym)
        try:
            if not row.valid or row.owner_key is None:
                raise IngestFailure(row.invalid_reason or "grant document invalid")
            check_approval(row.document.encode(), row.owner_key, key, revoked, signature)
            values["owner_signature_valid"] = True
        except IngestFailure as exc:
            values.update(valid=False, invalid_reason=str(exc), owner_signature_valid=False)
            _log.warning("grant %s approval refused on ingest: %s", grant_id, exc)
        self._set(conn, grant_id, **values)

    def _action(self, conn: Connection, e: FollowedEvent) -> None:
        action, status = _ACTIONS[e.name]
        grant_id = _hex(e.args["grantId"])
        row = self._grant(conn, grant_id)
        if row is None:
            return
        values: dict[str, Any] = {"status": int(status)}
        try:
            check_action(
                bytes(e.args["actionDocument"]),
                bytes(e.args["ownerSignature"]),
                action=action,
                grant_id=grant_id,
                document_digest=row.document_digest,
                owner_key=row.owner_key,
            )
        except IngestFailure as exc:
            _log.warning("grant %s: %s", grant_id, exc)
            # A narrowing action stands whatever its signature (the chain applied it); a
            # resume that does not verify must not reopen the grant.
            if action is GrantAction.RESUME:
                values.update(valid=False, invalid_reason=str(exc))
        self._set(conn, grant_id, **values)

    def _uses(self, conn: Connection, e: FollowedEvent) -> None:
        # ``uses`` is the resource's new total under the grant (maxUses is a budget per
        # resource), so the row takes it as it is: applying an event twice changes nothing.
        a = e.args
        values = {
            "grant_id": _hex(a["grantId"]),
            "resource": _code(a["resourceId"]),
            "uses": int(a["uses"]),
        }
        done = conn.execute(
            update(USES)
            .where(USES.c.grant_id == values["grant_id"], USES.c.resource == values["resource"])
            .values(uses=values["uses"])
        )
        if done.rowcount == 0:
            conn.execute(insert(USES).values(**values))

    def _exhausted(self, conn: Connection, e: FollowedEvent) -> None:
        self._set(conn, _hex(e.args["grantId"]), status=int(GrantStatus.EXHAUSTED))
