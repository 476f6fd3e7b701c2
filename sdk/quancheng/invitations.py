"""Reaching an owner a bank knows only by ID number: invitations through the identity authority.

The bank signs an invitation (:class:`~quancheng.protocol.invitations.InvitationDocument`)
naming the grant it wants and posts it, with the ID number, to the identity authority's owner
portal. The portal routes it to the owner's pseudonym and answers the same way whether or not
such an owner exists; the bank learns the pseudonym only once the owner accepts, and checks the
owner's acceptance signature against the key bound on chain before it uses it
(:meth:`PortalInvitations.wait`). It then requests the grant on chain with exactly the invited
terms, and the owner approves it in the portal as any request.

Used through :meth:`quancheng.client.ConsumerClient.invite_owner` and
:meth:`~quancheng.client.ConsumerClient.wait_for_invitation`.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import ValidationError

from quancheng._util import ArgumentError, as_date, describe
from quancheng.consumer import ConsumerCore, _raise_first, _scope_pairs
from quancheng.crypto import InvalidSignature, SM2PublicKey
from quancheng.errors import QuanchengError
from quancheng.grants import normalize_scope
from quancheng.http_bounds import AllowedEndpoints, ReadBounds, read_bounded
from quancheng.invitation_errors import (
    AcceptanceInvalid,
    InvitationDeclined,
    InvitationExpired,
    InvitationRefused,
    InvitationWaitTimeout,
    PortalUnavailable,
)
from quancheng.log_reader import LogReader
from quancheng.protocol import GrantMode, Purpose, ScopeItem, signing_bytes
from quancheng.protocol.documents import b64
from quancheng.protocol.invitations import (
    AcceptanceDocument,
    InvitationDocument,
    InvitationSubject,
    InvitationSubmission,
    SubjectOpening,
    id_number_problem,
    new_salt,
    subject_commitment,
)
from quancheng.scope_check import Terms, count_problems, scope_problems, terms_problems
from quancheng.tls import TlsConfig, is_loopback

__all__ = ["Invitation", "InvitationState", "InvitationStatus", "PortalInvitations"]

#: A portal's answers are a few hundred bytes.
_BOUNDS = ReadBounds(max_bytes=64 * 1024, deadline_s=15.0)
_OWNER_KIND = {"resident_id": "person", "uscc": "business"}


class InvitationStatus(StrEnum):
    """Where an invitation stands, as the portal reports it."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Invitation:
    """An invitation the portal took (202): what the bank keeps to follow it.

    Attributes:
        portal_url: The portal it was sent to (its status is asked there only).
        authority: The identity authority running the portal (an identity authority on chain).
        document: The signed invitation.
        signature: The bank's DER SM2 signature over it.
        opening: The ID number and salt that open the document's commitment: the bank's proof
            of whom it invited (never printed).
    """

    portal_url: str
    authority: str
    document: InvitationDocument
    signature: bytes
    opening: SubjectOpening = field(repr=False)

    @property
    def invitation_id(self) -> str:
        """The invitation's id (``0x`` hex)."""
        return self.document.invitation_id

    @property
    def owner_kind(self) -> str:
        """``person`` (resident ID) or ``business`` (USCC)."""
        return _OWNER_KIND[self.document.subject.id_kind]


@dataclass(frozen=True)
class InvitationState:
    """An invitation's status; once accepted, the owner's pseudonym and signed acceptance."""

    status: InvitationStatus
    owner_pseudonym: bytes | None = None
    acceptance: AcceptanceDocument | None = None
    acceptance_signature: bytes | None = None


class PortalInvitations:
    """One consumer's invitations at identity authorities' portals.

    Args:
        core: The consumer's chain view and keys.
        tls: The consortium's CA bundle and the consumer's client certificate (mutual TLS;
            invitations name its channel). Without it only a development portal on loopback
            takes them.
        clock: Wall-clock seconds.
        sleep: How to wait between polls.
    """

    def __init__(
        self,
        core: ConsumerCore,
        *,
        tls: TlsConfig | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._core, self._clock, self._sleep = core, clock, sleep
        self._http = httpx.Client(
            timeout=httpx.Timeout(10.0, connect=5.0),
            verify=tls.ssl_context() if tls is not None else True,
            headers={"content-type": "application/json", "user-agent": "quancheng-sdk"},
        )
        self._reader = LogReader.for_institution(
            core.institution, clock=clock, channel=core.channel
        )

    def invite(
        self,
        portal_url: str,
        id_kind: str,
        id_number: str,
        scope: Mapping[str, Iterable[str]] | Iterable[ScopeItem],
        purpose: Purpose | int,
        mode: GrantMode | str,
        data_from: date | str,
        data_to: date | str,
        *,
        valid_for: timedelta | float,
        max_uses: int = 1,
        message: str = "",
        respond_within: timedelta | float = timedelta(days=7),
    ) -> Invitation:
        """Check, sign and send an invitation (see ``ConsumerClient.invite_owner``)."""
        base = _portal_base(portal_url)
        if problem := id_number_problem(id_kind, id_number):
            raise ArgumentError("id_number", problem)
        document = self._document(
            id_kind, id_number, scope, purpose, mode, data_from, data_to,
            valid_for=valid_for, max_uses=max_uses, message=message,
            respond_within=respond_within, https=base.startswith("https://"),
        )  # fmt: skip
        doc, opening = document
        signature = bytes(self._core.institution.sm2_key.sign(signing_bytes(doc)))
        body = InvitationSubmission(invitation=doc, signature=b64(signature), subject=opening)
        answer = self._exchange("POST", f"{base}/v1/invitations", base, body.model_dump_json())
        authority = str(answer.get("authority", ""))
        if not self._is_authority(authority):
            raise PortalUnavailable(base, f"{authority!r} is not an identity authority on chain")
        return Invitation(base, authority, doc, signature, opening)

    def state(self, invitation: Invitation) -> InvitationState:
        """The invitation's status now; an acceptance is verified before it is returned.

        Raises:
            AcceptanceInvalid: The acceptance does not verify against the chain.
            InvitationRefused, PortalUnavailable: The portal refused or did not answer.
        """
        url = f"{invitation.portal_url}/v1/invitations/{invitation.invitation_id}"
        headers = self._reader.headers(url, audience=invitation.authority)
        body = self._exchange("GET", url, invitation.portal_url, None, headers)
        try:
            status = InvitationStatus(str(body.get("status")))
        except ValueError:
            raise PortalUnavailable(url, "the answer names no known status") from None
        if status is not InvitationStatus.ACCEPTED:
            return InvitationState(status)
        return self._accepted(invitation, body)

    def wait(
        self,
        invitation: Invitation,
        *,
        timeout: float,
        poll_interval: float,
        on_progress: Callable[[InvitationState], None] | None,
    ) -> bytes:
        """Poll until the owner answers; their verified pseudonym (see
        ``ConsumerClient.wait_for_invitation``)."""
        deadline = self._clock() + timeout
        while True:
            state = self.state(invitation)
            if on_progress is not None:
                on_progress(state)
            if state.status is InvitationStatus.ACCEPTED and state.owner_pseudonym is not None:
                return state.owner_pseudonym
            if state.status is InvitationStatus.DECLINED:
                raise InvitationDeclined(invitation.invitation_id)
            if state.status is InvitationStatus.EXPIRED:
                raise InvitationExpired(invitation.invitation_id)
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise InvitationWaitTimeout(invitation.invitation_id, timeout)
            self._sleep(min(poll_interval, remaining))

    def close(self) -> None:
        """Release the HTTP connections."""
        self._http.close()

    # ----------------------------------------------------------------------- internals

    def _document(
        self, id_kind: str, id_number: str,
        scope: Mapping[str, Iterable[str]] | Iterable[ScopeItem], purpose: Purpose | int,
        mode: GrantMode | str, data_from: date | str, data_to: date | str, *,
        valid_for: timedelta | float, max_uses: int, message: str,
        respond_within: timedelta | float, https: bool,
    ) -> tuple[InvitationDocument, SubjectOpening]:  # fmt: skip
        """The invitation, checked as ``request_grant`` checks a request (nothing is sent)."""
        pairs, spec = _scope_pairs(scope)
        _raise_first(count_problems(pairs))
        try:
            grant_mode = GrantMode(mode)
        except ValueError:
            raise ArgumentError("mode", f"{mode!r} is neither RAW nor DERIVED") from None
        now = self._clock()
        validity = _seconds(valid_for, "valid_for")
        period = as_date(data_from, "data_from"), as_date(data_to, "data_to")
        start = int(now)
        _raise_first(terms_problems(Terms(max_uses, start, start + validity, *period, start)))
        facts = {resource: self._core.view.resource_facts(resource) for resource, _ in pairs}
        _raise_first(scope_problems(pairs, grant_mode.value, facts, _OWNER_KIND.get(id_kind)))
        salt = new_salt()
        try:
            doc = InvitationDocument(
                invitation_id="0x" + secrets.token_hex(32), consumer=self._core.institution.code,
                subject=InvitationSubject.model_validate(
                    {"id_kind": id_kind, "commitment": subject_commitment(id_kind, id_number, salt)}
                ),
                purpose=Purpose(int(purpose)), scope=normalize_scope(spec), mode=grant_mode,
                data_from=period[0], data_to=period[1], valid_for_s=validity, max_uses=max_uses,
                message=message, issued_at_ms=int(now * 1000),
                expires_at_ms=int(now * 1000) + 1000 * _seconds(respond_within, "respond_within"),
                channel=self._core.channel if https else None,
            )  # fmt: skip
            opening = SubjectOpening(id_number=id_number, salt=salt)
        except (ValidationError, ValueError) as exc:
            raise ArgumentError("invitation", describe(exc)) from None
        return doc, opening

    def _accepted(self, invitation: Invitation, body: dict[str, Any]) -> InvitationState:
        iid = invitation.invitation_id
        try:
            pseudonym = bytes.fromhex(str(body["owner_pseudonym"]).removeprefix("0x"))
            raw = base64.b64decode(str(body["acceptance"]), validate=True)
            signature = base64.b64decode(str(body["acceptance_signature"]), validate=True)
            acceptance = AcceptanceDocument.model_validate_json(raw)
        except (KeyError, ValueError, binascii.Error, ValidationError):
            raise AcceptanceInvalid(iid, "the portal's answer is not a signed acceptance") from None
        expected = {
            "invitation_id": iid, "invitation_digest": invitation.document.digest_hex(),
            "consumer": self._core.institution.code, "owner_pseudonym": "0x" + pseudonym.hex(),
        }  # fmt: skip
        for name, value in expected.items():
            if getattr(acceptance, name) != value:
                raise AcceptanceInvalid(iid, f"it names another {name}")
        if signing_bytes(acceptance) != raw:
            raise AcceptanceInvalid(iid, "it is not canonical JSON")
        owner = self._core.contracts.owner(pseudonym)
        if owner.key_version == 0 or owner.revoked:
            raise AcceptanceInvalid(iid, "the pseudonym has no key bound on chain")
        try:
            SM2PublicKey.from_bytes(owner.sm2_public_key).verify(signature, raw)
        except (InvalidSignature, ValueError):
            raise AcceptanceInvalid(iid, "the owner's key on chain did not sign it") from None
        return InvitationState(InvitationStatus.ACCEPTED, pseudonym, acceptance, signature)

    def _is_authority(self, code: str) -> bool:
        from quancheng.chain.types import code32

        try:
            return bool(code) and self._core.contracts.is_identity_authority(code32(code))
        except (QuanchengError, ValueError):
            return False

    def _exchange(
        self, method: str, url: str, base: str, content: str | None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        try:
            resp = read_bounded(
                self._http, method, url, bounds=_BOUNDS, endpoints=AllowedEndpoints.of([base]),
                content=None if content is None else content.encode(), headers=headers,
            )  # fmt: skip
            body = resp.json()
        except httpx.HTTPError as exc:
            raise PortalUnavailable(url, f"{type(exc).__name__}: {exc}") from None
        except ValueError:
            raise PortalUnavailable(url, "the answer is not JSON") from None
        if not isinstance(body, dict):
            raise PortalUnavailable(url, "the answer is not a JSON object")
        if resp.status_code not in (200, 202):
            error = body.get("error")
            error = error if isinstance(error, dict) else {}
            raise InvitationRefused(
                resp.status_code, str(error.get("code", "UNKNOWN")),
                str(error.get("message", "")), dict(error.get("details") or {}),
            )  # fmt: skip
        return body


def _portal_base(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname or "")):
        return url.rstrip("/")
    raise ArgumentError("portal_url", "give the portal's https:// URL (http only on loopback)")


def _seconds(value: timedelta | float, name: str) -> int:
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
        raise ArgumentError(name, "give a positive timedelta or number of seconds")
    return int(seconds)
