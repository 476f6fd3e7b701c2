"""Owners: every attestation verifies against its attester's key at that block, the attester was
an ACTIVE identity authority then, and every re-binding of an owner's key is listed."""

from __future__ import annotations

from quancheng.attestations import AttestationInvalid, verify_attestation
from quancheng.chain.types import InstitutionStatus
from quancheng.crypto import InvalidKey, SM2PublicKey
from quancheng_audit.context import Context
from quancheng_audit.findings import Finding, Subject
from quancheng_audit.history import Attestation

__all__ = ["check_attestations"]


def _subject(att: Attestation) -> Subject:
    e = att.event
    return Subject(
        kind="owner",
        pseudonym=att.pseudonym,
        block=e.block,
        tx_hash=e.tx,
        event=e.name,
        event_log_index=e.log_index,
    )


def check_attestations(ctx: Context) -> None:
    """ATTESTATION_INVALID for each attestation whose attester, document or signature fails;
    OWNER_KEY_REBOUND for each new key of an owner who had one."""
    for attestations in ctx.history.attestations.values():
        for previous, att in zip([None, *attestations], attestations, strict=False):
            ctx.checked["owners"] += 1
            if previous is not None and previous.key != att.key:
                ctx.add(
                    Finding.of(
                        "OWNER_KEY_REBOUND",
                        _subject(att),
                        f"owner {att.pseudonym[:10]}… re-bound to key v{att.key_version} by "
                        f"{att.attester} (previous key v{previous.key_version})",
                        expected="the owner asked for the new key (enrollment record)",
                        found=f"key 0x{att.key.hex()[:16]}… replaced 0x{previous.key.hex()[:16]}…",
                    )
                )
            reason = _problem(ctx, att)
            if reason is None:
                continue
            check, found = reason
            ctx.invalid_attestations.add((att.pseudonym, att.key_version))
            ctx.add(
                Finding.of(
                    "ATTESTATION_INVALID",
                    _subject(att),
                    f"attestation v{att.key_version} by {att.attester}: {found}",
                    expected=f"{check} verifies",
                    found=found,
                )
            )


def _problem(ctx: Context, att: Attestation) -> tuple[str, str] | None:
    e = att.event
    attester = ctx.history.member_at_pos(att.attester, (e.block, e.log_index))
    if attester is None:
        return "attester", f"{att.attester} is not a member of the consortium"
    if not attester.identity_authority or attester.status is not InstitutionStatus.ACTIVE:
        return "attester", f"{att.attester} was not an ACTIVE identity authority"
    try:
        key = SM2PublicKey.from_bytes(attester.key)
    except (InvalidKey, ValueError):
        return "attester", f"{att.attester} has no valid SM2 key"
    ctx.signatures += 1
    try:
        verify_attestation(
            att.document,
            att.signature,
            key,
            pseudonym=bytes.fromhex(att.pseudonym[2:]),
            owner_key=att.key,
            attester=att.attester,
        )
    except AttestationInvalid as exc:
        return exc.check, exc.reason
    return None
