"""The verified-query protocol: the documents that are signed, hashed and anchored.

Every component (SDK, gateways, portal, auditor) builds and checks these same documents;
what is signed is always their RFC 8785 canonical JSON (:func:`signing_bytes`).
"""

from quancheng.protocol.documents import (
    AnchorDocument,
    Answer,
    AttestationDocument,
    GrantAction,
    GrantActionDocument,
    GrantDocument,
    GrantMode,
    QueryRequest,
    Receipt,
    ScopeItem,
    SignedReceipt,
    SignedRequest,
    signing_bytes,
    tier_name,
)
from quancheng.protocol.ids import from_hex, hex32
from quancheng.protocol.invitations import (
    AcceptanceDocument,
    InvitationDocument,
    InvitationSubmission,
    SubjectOpening,
)
from quancheng.protocol.purposes import GrantTier, Purpose, covered_purposes, covers, tier_of

__all__ = [
    "AcceptanceDocument",
    "AnchorDocument",
    "Answer",
    "AttestationDocument",
    "GrantAction",
    "GrantActionDocument",
    "GrantDocument",
    "GrantMode",
    "GrantTier",
    "InvitationDocument",
    "InvitationSubmission",
    "Purpose",
    "QueryRequest",
    "Receipt",
    "ScopeItem",
    "SignedReceipt",
    "SignedRequest",
    "SubjectOpening",
    "covered_purposes",
    "covers",
    "from_hex",
    "hex32",
    "signing_bytes",
    "tier_name",
    "tier_of",
]
