"""Errors of the consumer clients that are not a gateway's refusal or a failed verification."""

from __future__ import annotations

from quancheng._util import ArgumentError
from quancheng.chain import GrantStatus
from quancheng.errors import ChainError, ConfigError, GatewayError, GrantError
from quancheng.protocol.ids import hex32

__all__ = [
    "AnchorWaitTimeout",
    "GrantEndedWhileWaiting",
    "GrantWaitTimeout",
    "MembershipError",
    "OwnerKeyMismatch",
    "ResourceNotInCatalogue",
    "ScenarioPurposeRequired",
]


class ResourceNotInCatalogue(ChainError):
    """The data catalogue has no such resource, or no gateway endpoint for it.

    Attributes:
        resource: The resource code.
        reason: What is missing.
    """

    code = "RESOURCE_NOT_IN_CATALOGUE"

    def __init__(self, resource: str, reason: str = "not registered") -> None:
        self.resource, self.reason = resource, reason
        super().__init__(f"resource {resource!r}: {reason}")


class OwnerKeyMismatch(GrantError):
    """The owner key given for a grant request is not the key attested for the pseudonym.

    Attributes:
        pseudonym: The owner's pseudonym (``0x`` hex).
        reason: What is wrong.
    """

    code = "OWNER_KEY_MISMATCH"

    def __init__(self, pseudonym: bytes, reason: str) -> None:
        self.pseudonym, self.reason = hex32(pseudonym), reason
        super().__init__(f"owner {self.pseudonym}: {reason}")


class GrantWaitTimeout(GrantError):
    """A grant did not reach an awaited status in time.

    Attributes:
        grant_id: The grant (``0x`` hex).
        status: Its last status.
        timeout: Seconds waited.
    """

    code = "GRANT_WAIT_TIMEOUT"

    def __init__(self, grant_id: bytes, status: GrantStatus, timeout: float) -> None:
        self.grant_id, self.status, self.timeout = hex32(grant_id), status, timeout
        super().__init__(f"grant {self.grant_id} still {status.name} after {timeout:g} s")


class GrantEndedWhileWaiting(GrantError):
    """A grant reached a final status that is not one of those awaited (e.g. REJECTED).

    Attributes:
        grant_id: The grant (``0x`` hex).
        status: Its final status.
    """

    code = "GRANT_ENDED"

    def __init__(self, grant_id: bytes, status: GrantStatus) -> None:
        self.grant_id, self.status = hex32(grant_id), status
        super().__init__(f"grant {self.grant_id} ended {status.name}")


class AnchorWaitTimeout(GatewayError):
    """A receipt's batch was not anchored in time.

    Attributes:
        receipt_id: The receipt.
        timeout: Seconds waited.
    """

    code = "ANCHOR_WAIT_TIMEOUT"

    def __init__(self, receipt_id: str, timeout: float) -> None:
        self.receipt_id, self.timeout = receipt_id, timeout
        super().__init__(f"receipt {receipt_id} not anchored after {timeout:g} s")


class MembershipError(ConfigError):
    """The configured identity is not what the chain knows (wrong chain, key or role).

    Attributes:
        institution: The institution code.
        reason: What differs.
    """

    code = "MEMBERSHIP_ERROR"

    def __init__(self, institution: str, reason: str) -> None:
        self.institution, self.reason = institution, reason
        super().__init__(f"institution {institution}: {reason}")


class ScenarioPurposeRequired(ArgumentError):
    """A query names one scenario purpose: a domain or comprehensive code was given, or none
    under a grant whose purpose covers several scenarios (nothing is signed or sent).

    Attributes:
        grant_id: The grant (``0x`` hex).
        grant_purpose: The grant's purpose code.
        purpose: The purpose code given (None: not given).
    """

    code = "SCENARIO_PURPOSE_REQUIRED"

    def __init__(self, grant_id: bytes, grant_purpose: int, purpose: int | None) -> None:
        self.grant_id, self.grant_purpose, self.purpose = hex32(grant_id), grant_purpose, purpose
        reason = (
            f"name the scenario of this query: grant {self.grant_id} has purpose {grant_purpose}"
            if purpose is None
            else f"{purpose} is not a scenario purpose (codes 1..99); name the query's scenario"
        )
        super().__init__("purpose", reason)
