"""Errors of reaching an owner by invitation (:mod:`quancheng.invitations`)."""

from __future__ import annotations

from typing import Any

from quancheng.errors import GrantError

__all__ = [
    "AcceptanceInvalid",
    "InvitationDeclined",
    "InvitationError",
    "InvitationExpired",
    "InvitationRefused",
    "InvitationWaitTimeout",
    "PortalUnavailable",
]


class InvitationError(GrantError):
    """Base of the invitation errors."""

    code = "INVITATION_ERROR"


class InvitationRefused(InvitationError):
    """The portal refused the invitation or the status request; nothing was stored.

    Attributes:
        status: The HTTP status.
        refusal: The portal's stable code (``CONSUMER_NOT_ACTIVE``, ``INVITATION_REPLAYED``...).
        details: The portal's details.
    """

    code = "INVITATION_REFUSED"

    def __init__(self, status: int, refusal: str, message: str, details: dict[str, Any]) -> None:
        self.status, self.refusal, self.details = status, refusal, details
        super().__init__(f"the portal refused ({status} {refusal}): {message}")


class PortalUnavailable(InvitationError):
    """The portal could not be reached, or answered something that is not its API.

    Attributes:
        url: The URL asked.
        reason: What went wrong.
    """

    code = "PORTAL_UNAVAILABLE"

    def __init__(self, url: str, reason: str) -> None:
        self.url, self.reason = url, reason
        super().__init__(f"portal {url}: {reason}")


class InvitationDeclined(InvitationError):
    """The owner declined the invitation: do not ask again by other means.

    Attributes:
        invitation_id: The invitation.
    """

    code = "INVITATION_DECLINED"

    def __init__(self, invitation_id: str) -> None:
        self.invitation_id = invitation_id
        super().__init__(f"invitation {invitation_id} was declined by the owner")


class InvitationExpired(InvitationError):
    """Nobody accepted the invitation before it expired (the owner may not be enrolled, or
    did not answer: the portal does not say which).

    Attributes:
        invitation_id: The invitation.
    """

    code = "INVITATION_EXPIRED"

    def __init__(self, invitation_id: str) -> None:
        self.invitation_id = invitation_id
        super().__init__(f"invitation {invitation_id} expired unanswered")


class InvitationWaitTimeout(InvitationError):
    """The invitation was still pending when the wait ended (it may still be accepted).

    Attributes:
        invitation_id: The invitation.
        timeout: Seconds waited.
    """

    code = "INVITATION_WAIT_TIMEOUT"

    def __init__(self, invitation_id: str, timeout: float) -> None:
        self.invitation_id, self.timeout = invitation_id, timeout
        super().__init__(f"invitation {invitation_id} still pending after {timeout:g} s")


class AcceptanceInvalid(InvitationError):
    """The acceptance the portal returned does not prove the owner's consent: the pseudonym is
    not used.

    Attributes:
        invitation_id: The invitation.
        reason: The check that failed.
    """

    code = "INVITATION_ACCEPTANCE_INVALID"

    def __init__(self, invitation_id: str, reason: str) -> None:
        self.invitation_id, self.reason = invitation_id, reason
        super().__init__(f"acceptance of invitation {invitation_id} is not valid: {reason}")
