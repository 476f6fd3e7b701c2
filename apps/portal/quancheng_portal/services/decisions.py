"""The owner's decisions: checked here, then relayed on chain by the identity authority.

The browser signs; this module never sees a private key. Before anything is sent, it checks
that the grant exists and is the signed-in owner's, that its state allows the decision, and
that an action document is canonical and about this grant; the authority then verifies the
owner's signature against the key attested on chain before it relays
(:class:`quancheng.authority.IdentityAuthority`). Every failure is a :class:`PortalError` and
sends nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn, TypeVar

from pydantic import ValidationError

from quancheng._util import describe
from quancheng.authority import (
    IdentityAuthority,
    RelayReceipt,
    StaleActionDocument,
    UnattestedOwner,
)
from quancheng.chain import ChainUnavailable as SdkChainUnavailable
from quancheng.chain import GrantStatus, RevertError
from quancheng.chain.records import GrantRecord
from quancheng.errors import ChainError
from quancheng.grants import GrantDocumentMismatch as SdkDocumentMismatch
from quancheng.grants import MalformedGrantDocument, RequestedGrant, requested_grant
from quancheng.grants import OwnerSignatureInvalid as SdkSignatureInvalid
from quancheng.protocol import GrantAction, GrantActionDocument, signing_bytes
from quancheng.protocol.ids import hex32
from quancheng_portal.core import errors as e
from quancheng_portal.services.labels import STATUS_LABELS

__all__ = ["Decisions", "parse_grant_id"]

_T = TypeVar("_T")

#: The state each decision needs, and the refusal when the grant is in another.
_NEEDS: dict[GrantAction, tuple[tuple[GrantStatus, ...], type[e.PortalError]]] = {
    GrantAction.APPROVE: ((GrantStatus.PENDING,), e.GrantNotPending),
    GrantAction.REJECT: ((GrantStatus.PENDING,), e.GrantNotPending),
    GrantAction.PAUSE: ((GrantStatus.ACTIVE,), e.GrantNotActive),
    GrantAction.RESUME: ((GrantStatus.PAUSED,), e.GrantNotPaused),
    GrantAction.REVOKE: ((GrantStatus.ACTIVE, GrantStatus.PAUSED), e.GrantNotRevocable),
}

#: Contract reverts that mean the grant moved on between our check and the transaction.
_STATE_REVERTS: dict[str, type[e.PortalError]] = {
    "GrantRegistryNotPending": e.GrantNotPending,
    "GrantRegistryNotActive": e.GrantNotActive,
    "GrantRegistryNotPaused": e.GrantNotPaused,
    "GrantRegistryNotRevocable": e.GrantNotRevocable,
}


def parse_grant_id(text: str) -> bytes:
    """32 bytes from ``0x`` + 64 hex digits.

    Raises:
        MalformedInput: Anything else.
    """
    raw = text.removeprefix("0x")
    if len(raw) != 64:
        raise e.MalformedInput(reason="授权编号应为 0x 加 64 位十六进制数")
    try:
        return bytes.fromhex(raw)
    except ValueError:
        raise e.MalformedInput(reason="授权编号应为 0x 加 64 位十六进制数") from None


class Decisions:
    """Approve, reject, pause, resume and revoke on behalf of signed-in owners."""

    def __init__(self, authority: IdentityAuthority) -> None:
        self.authority = authority
        self.contracts = authority.contracts

    # ------------------------------------------------------------------------- reading

    def grant_of(self, pseudonym: bytes, grant_id: bytes) -> GrantRecord:
        """The grant, if it is this owner's.

        Raises:
            GrantNotFound: No such grant.
            NotYourGrant: It names another owner.
        """
        record = _chain(lambda: self.contracts.grant(grant_id))
        if record.status is GrantStatus.NONE:
            raise e.GrantNotFound(grant_id=hex32(grant_id))
        if record.owner_pseudonym != pseudonym:
            raise e.NotYourGrant(grant_id=hex32(grant_id))
        return record

    def document(self, pseudonym: bytes, grant_id: bytes) -> tuple[RequestedGrant, GrantRecord]:
        """The grant's request with its canonical document (what the owner signs to approve).

        Raises:
            GrantNotFound, NotYourGrant: As :meth:`grant_of`.
            GrantDocumentMismatch: The emitted document does not match the chain's digest.
        """
        record = self.grant_of(pseudonym, grant_id)
        try:
            request = _chain(lambda: requested_grant(self.contracts, grant_id))
        except MalformedGrantDocument as exc:
            raise e.GrantDocumentMismatch(field=exc.reason) from None
        return request, record

    # ------------------------------------------------------------------------ deciding

    def approve(self, pseudonym: bytes, grant_id: bytes, signature: bytes) -> RelayReceipt:
        """Relay the owner's signature over the grant document.

        Raises:
            PortalError: The refusal naming the first check that failed.
        """
        self._check_state(pseudonym, grant_id, GrantAction.APPROVE)
        request, record = self.document(pseudonym, grant_id)
        attested = self._attested_key_hex(pseudonym)
        if request.document.owner_key != attested:
            raise e.OwnerKeyNotInDocument(grant_id=hex32(grant_id))
        if record.not_after <= self._chain_time():
            raise e.GrantValidityEnded(grant_id=hex32(grant_id))
        return self._relay(lambda: self.authority.relay_approval(grant_id, signature))

    def act(
        self, pseudonym: bytes, grant_id: bytes, action: GrantAction, document: bytes,
        signature: bytes,
    ) -> RelayReceipt:  # fmt: skip
        """Relay a signed reject, pause, resume or revoke.

        Raises:
            PortalError: The refusal naming the first check that failed.
        """
        parsed = _action_document(document)
        if action is GrantAction.APPROVE or parsed.action is not action:
            raise e.ActionMismatch(field="action")
        if parsed.grant_id != hex32(grant_id):
            raise e.ActionMismatch(field="grant_id")
        self._check_state(pseudonym, grant_id, action)
        return self._relay(lambda: self.authority.relay_action(document, signature))

    # ----------------------------------------------------------------------- internals

    def _check_state(self, pseudonym: bytes, grant_id: bytes, action: GrantAction) -> None:
        self.grant_of(pseudonym, grant_id)
        status = _chain(lambda: self.contracts.grant_status(grant_id))
        allowed, refusal = _NEEDS[action]
        if status not in allowed:
            raise refusal(grant_id=hex32(grant_id), status_label=STATUS_LABELS[status])

    def _attested_key_hex(self, pseudonym: bytes) -> str:
        owner = _chain(lambda: self.contracts.owner(pseudonym))
        if owner.key_version == 0 or owner.revoked:
            raise e.OwnerKeyMissing()
        return "0x" + owner.sm2_public_key.hex()

    def _chain_time(self) -> int:
        return _chain(lambda: int(self.contracts.w3.eth.get_block("latest")["timestamp"]))

    def _relay(self, send: Callable[[], RelayReceipt]) -> RelayReceipt:
        try:
            return send()
        except SdkSignatureInvalid:
            raise e.OwnerSignatureInvalid() from None
        except SdkDocumentMismatch as exc:
            raise e.GrantDocumentMismatch(field=exc.field) from None
        except StaleActionDocument:
            raise e.StaleAction() from None
        except UnattestedOwner:
            raise e.OwnerKeyMissing() from None
        except RevertError as exc:
            _refuse_revert(exc)
        except ChainError:
            raise e.ChainUnavailable() from None


def _refuse_revert(exc: RevertError) -> NoReturn:
    refusal = _STATE_REVERTS.get(exc.error_name)
    if refusal is not None:
        status = exc.arguments.get("status")
        label = (
            STATUS_LABELS.get(GrantStatus(int(status)), "未知") if status is not None else "未知"
        )
        raise refusal(status_label=label) from None
    if exc.error_name == "GrantRegistryValidityEnded":
        raise e.GrantValidityEnded() from None
    raise e.ChainRefused(error_name=exc.error_name or "revert") from None


def _chain(read: Callable[[], _T]) -> _T:
    try:
        return read()
    except (SdkChainUnavailable, OSError):
        raise e.ChainUnavailable() from None


def _action_document(document: bytes) -> GrantActionDocument:
    try:
        parsed = GrantActionDocument.model_validate_json(document)
    except ValidationError as exc:
        raise e.ActionDocumentInvalid(reason=describe(exc)) from None
    if signing_bytes(parsed) != document:
        raise e.ActionNotCanonical()
    return parsed
