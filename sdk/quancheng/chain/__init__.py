"""The chain client of 泉城链: web3 helpers, locally signed transactions, typed reverts,
the deployment manifest and the contracts bound to it.

Example:
    >>> from quancheng.chain import ContractSet, Manifest, make_web3, load_account, send_transaction
    >>> w3 = make_web3("http://127.0.0.1:8545")
    >>> chain = ContractSet(w3, Manifest.load(Path("var/manifest.json")))
    >>> me = load_account(private_key)
    >>> send_transaction(w3, me, chain.grants.functions.approve(grant_id, owner_signature))
"""

from quancheng.chain.client import (
    ChainUnavailable,
    NonceManager,
    TransactionFailed,
    TransactionRejected,
    call,
    load_account,
    make_web3,
    send_transaction,
)
from quancheng.chain.contracts import ContractSet, DecodedEvent
from quancheng.chain.errors import ContractRevert, RevertError, decode_revert
from quancheng.chain.manifest import CONTRACT_NAMES, Manifest, ManifestError
from quancheng.chain.types import (
    GrantMode,
    GrantStatus,
    GrantTier,
    InstitutionStatus,
    ProposalAction,
    ProposalStatus,
    Role,
    code32,
    decode_code32,
    new_grant_id,
    purposes_mask,
)

__all__ = [
    "CONTRACT_NAMES",
    "ChainUnavailable",
    "ContractRevert",
    "ContractSet",
    "DecodedEvent",
    "GrantMode",
    "GrantStatus",
    "GrantTier",
    "InstitutionStatus",
    "Manifest",
    "ManifestError",
    "NonceManager",
    "ProposalAction",
    "ProposalStatus",
    "RevertError",
    "Role",
    "TransactionFailed",
    "TransactionRejected",
    "call",
    "code32",
    "decode_code32",
    "decode_revert",
    "load_account",
    "make_web3",
    "new_grant_id",
    "purposes_mask",
    "send_transaction",
]
