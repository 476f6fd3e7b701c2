"""Owner attestations: the identity authority's signed word that a key belongs to a pseudonym.

The authority signs a canonical :class:`~quancheng.protocol.AttestationDocument` (pseudonym,
owner key, its own institution code, time) with its SM2 key. ``OwnerRegistry.attest`` emits
the document and the signature in ``OwnerAttested``; the EVM cannot check either, so gateways
and auditors do, with :func:`verify_attestation`, against the attester's key in the
consortium registry. An owner whose attestation does not verify is not attested.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from web3 import Web3
from web3.exceptions import Web3Exception
from web3.types import FilterParams

from quancheng._util import describe, signature_valid
from quancheng.chain.client import ChainUnavailable
from quancheng.chain.contracts import ContractSet
from quancheng.chain.types import decode_code32
from quancheng.crypto import SM2PublicKey
from quancheng.errors import GrantError
from quancheng.protocol import AttestationDocument, signing_bytes
from quancheng.protocol.ids import hex32

__all__ = [
    "OWNER_ATTESTED_TOPIC",
    "AttestationInvalid",
    "OwnerAttestedLog",
    "owner_attested_logs",
    "verify_attestation",
]

#: topic0 of ``OwnerAttested(bytes32,bytes32,uint32,bytes,bytes,bytes,bytes)``.
OWNER_ATTESTED_TOPIC = bytes(
    Web3.keccak(text="OwnerAttested(bytes32,bytes32,uint32,bytes,bytes,bytes,bytes)")
)


class AttestationInvalid(GrantError):
    """An owner attestation does not verify.

    Attributes:
        pseudonym: The pseudonym it should bind (``0x`` hex).
        check: Which check failed: ``format``, ``pseudonym``, ``owner_key``, ``attester`` or
            ``signature``.
        reason: What was found.
    """

    code = "ATTESTATION_INVALID"

    def __init__(self, pseudonym: str, check: str, reason: str) -> None:
        self.pseudonym, self.check, self.reason = pseudonym, check, reason
        super().__init__(f"attestation of owner {pseudonym}: {reason}")


def verify_attestation(
    document_bytes: bytes,
    signature: bytes,
    attester_key: SM2PublicKey,
    *,
    pseudonym: bytes,
    owner_key: bytes,
    attester: str,
) -> AttestationDocument:
    """Check an attestation as ``OwnerAttested`` carries it.

    Checks, in order: the bytes are a canonical attestation document; it names ``pseudonym``,
    ``owner_key`` and ``attester`` (the event's pseudonym, key and attester id); the
    attester's SM2 signature over the bytes verifies with ``attester_key``.

    Args:
        document_bytes: The attestation document as emitted.
        signature: The attester's DER SM2 signature as emitted.
        attester_key: The attester institution's SM2 key in the registry at that block.
        pseudonym: The pseudonym the event binds.
        owner_key: The 65-byte owner key the event binds.
        attester: The attester's institution code (the event's ``attesterId``).

    Returns:
        The decoded document.

    Raises:
        AttestationInvalid: Naming the first check that failed.
    """
    who = hex32(pseudonym)
    try:
        document = AttestationDocument.model_validate_json(document_bytes, strict=True)
    except ValidationError as exc:
        reason = f"not an attestation document ({describe(exc)})"
        raise AttestationInvalid(who, "format", reason) from None
    if signing_bytes(document) != bytes(document_bytes):
        raise AttestationInvalid(who, "format", "not in canonical (RFC 8785) form")
    compared: tuple[tuple[str, Any, Any], ...] = (
        ("pseudonym", who, document.pseudonym),
        ("owner_key", "0x" + bytes(owner_key).hex(), document.owner_key),
        ("attester", attester, document.attester),
    )
    for field, want, got in compared:
        if want != got:
            raise AttestationInvalid(who, field, f"document names {field} {got}, not {want}")
    if not signature_valid(attester_key, bytes(signature), bytes(document_bytes)):
        raise AttestationInvalid(
            who, "signature", f"signature does not verify with {attester}'s registered SM2 key"
        )
    return document


@dataclass(frozen=True)
class OwnerAttestedLog:
    """One ``OwnerAttested`` event.

    Attributes:
        pseudonym: The owner's pseudonym.
        attester: The attester's institution code.
        key_version: 1 for the first key, +1 per attestation.
        sm2_public_key: The attested 65-byte key.
        document: The canonical attestation document as emitted.
        signature: The attester's DER SM2 signature over it.
        block_number: Block of the attestation.
        tx_hash: ``0x`` hex of the transaction.
    """

    pseudonym: bytes
    attester: str
    key_version: int
    sm2_public_key: bytes
    document: bytes
    signature: bytes
    block_number: int
    tx_hash: str


def owner_attested_logs(contracts: ContractSet, pseudonym: bytes) -> list[OwnerAttestedLog]:
    """The ``OwnerAttested`` events of ``pseudonym``, oldest first.

    Raises:
        ChainUnavailable: The node could not be reached or refused the log query.
    """
    params: FilterParams = {
        "address": contracts.owners.address,
        "fromBlock": contracts.manifest.contracts["OwnerRegistry"].block_number,
        "toBlock": "latest",
        "topics": ["0x" + OWNER_ATTESTED_TOPIC.hex(), hex32(pseudonym)],
    }
    try:
        raw_logs = contracts.w3.eth.get_logs(params)
    except (OSError, Web3Exception) as exc:
        raise ChainUnavailable(f"cannot read OwnerAttested events: {exc}") from exc
    found = []
    for log in raw_logs:
        event = contracts.decode_log(log)
        if event is None or event.name != "OwnerAttested":
            continue
        a = event.args
        found.append(
            OwnerAttestedLog(
                pseudonym=bytes(a["pseudonym"]),
                attester=decode_code32(bytes(a["attesterId"])) or hex32(bytes(a["attesterId"])),
                key_version=int(a["keyVersion"]),
                sm2_public_key=bytes(a["sm2PublicKey"]),
                document=bytes(a["attestationDocument"]),
                signature=bytes(a["attestation"]),
                block_number=int(log["blockNumber"]),
                tx_hash="0x" + bytes(log["transactionHash"]).hex(),
            )
        )
    return found
