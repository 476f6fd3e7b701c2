"""The grant a case is decided under: checked when given, requested of the owner otherwise."""

from __future__ import annotations

from datetime import date, timedelta

from quancheng._util import ArgumentError
from quancheng.chain import GrantStatus
from quancheng.chain.client import ChainUnavailable as SdkChainUnavailable
from quancheng.client import ConsumerClient
from quancheng.client_errors import OwnerKeyMismatch
from quancheng.errors import ChainError
from quancheng.grants import GrantNotFound as SdkGrantNotFound
from quancheng.protocol import GrantDocument
from quancheng_appkit.decision import GrantTemplate
from quancheng_appkit.officer.errors import (
    ChainUnavailable,
    GrantMismatch,
    GrantNotFound,
    GrantNotUsable,
    GrantRequestRefused,
    OwnerNotAttested,
)
from quancheng_appkit.officer.schemas import OwnerRef

__all__ = ["GrantDesk"]

#: Grants that still may become (or be) ACTIVE: a case under them is accepted.
_LIVE = frozenset({GrantStatus.PENDING, GrantStatus.ACTIVE, GrantStatus.PAUSED})


class GrantDesk:
    """Checks and requests grants for cases, through the institution's consumer client."""

    def __init__(self, client: ConsumerClient, *, valid_days: int, max_uses: int) -> None:
        self.client, self.valid_days, self.max_uses = client, valid_days, max_uses

    def request(self, template: GrantTemplate, owner: OwnerRef, as_of: date) -> str:
        """Ask the owner for the template's grant (PENDING until they approve); its id.

        Raises:
            OwnerNotAttested: The pseudonym has no attested key, or another one than ``key``.
            GrantRequestRefused: The contract refused the request.
            ChainUnavailable: The chain did not answer.
        """
        try:
            handle = self.client.request_grant(
                owner.pseudonym, owner.key, template.scope, template.purpose, template.mode,
                as_of - timedelta(days=template.period_days), as_of,
                valid_for=timedelta(days=self.valid_days), max_uses=self.max_uses,
            )  # fmt: skip
        except OwnerKeyMismatch as exc:
            raise OwnerNotAttested(pseudonym=owner.pseudonym, reason=exc.reason) from exc
        except ArgumentError as exc:
            raise GrantRequestRefused(kind=template.key, reason=str(exc)) from exc
        except SdkChainUnavailable as exc:
            raise ChainUnavailable(reason=str(exc)) from exc
        except ChainError as exc:
            raise GrantRequestRefused(kind=template.key, reason=f"{exc.code}: {exc}") from exc
        return handle.grant_id_hex

    def check(self, grant_id: str, template: GrantTemplate) -> GrantStatus:
        """The status of a grant that can serve the template's case.

        Raises:
            GrantNotFound: No such grant on chain.
            GrantMismatch: Another consumer's grant, or another purpose, mode or a narrower
                scope than the template's.
            GrantNotUsable: It was rejected, revoked, has expired or is used up.
        """
        try:
            status = self.client.grant_status(grant_id)
            if status is GrantStatus.NONE:
                raise GrantNotFound(grant_id=grant_id)
            document = self.client.grant_document(grant_id).document
        except SdkGrantNotFound as exc:
            raise GrantNotFound(grant_id=grant_id) from exc
        problem = _mismatch(document, self.client.institution.code, template)
        if problem:
            raise GrantMismatch(grant_id=grant_id, kind=template.key, problem=problem)
        if status not in _LIVE:
            raise GrantNotUsable(grant_id=grant_id, grant_status=status.name)
        return status


def _mismatch(document: GrantDocument, me: str, template: GrantTemplate) -> str | None:
    """What keeps a grant from serving the template's case (None: nothing)."""
    consumer, purpose, mode = document.consumer, int(document.purpose), document.mode
    if consumer != me:
        return f"it was granted to {consumer}, not to {me}"
    if purpose != int(template.purpose):
        return f"its purpose is {purpose}, the template's is {int(template.purpose)}"
    if mode != template.mode:
        return f"its mode is {mode}, the template's is {template.mode}"
    granted = {item.resource: set(item.fields) for item in document.scope}
    for item in template.scope:
        missing = sorted(set(item.fields) - granted.get(item.resource, set()))
        if missing:
            return f"it does not grant {item.resource}: {', '.join(missing)}"
    return None
