"""Grants: the document is the chain's grant, and every signature over it is the right one.

For each ``GrantRequested``: the emitted document hashes to the on-chain digest, is a
canonical grant document and states exactly the stored terms; the consumer's signature
verifies with its key at the request. For the approval: the owner had a valid attestation
of the key the document names, and that key signed. For each reject/pause/resume/revoke: the
action document is canonical, names the action, grant and document, and the owner signed it.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from quancheng.chain.types import decode_code32
from quancheng.crypto import sm3
from quancheng.grants import MalformedGrantDocument, parse_grant_document, terms_from_document
from quancheng.protocol import GrantAction, GrantActionDocument, GrantDocument, signing_bytes
from quancheng_audit.context import Context
from quancheng_audit.evidence import ChainEvent, ChainGrant
from quancheng_audit.findings import Finding, Subject
from quancheng_audit.history import GrantHistory, Pos
from quancheng_audit.sigs import verify_one

__all__ = ["check_grants"]

_ACTION_OF = {
    "GrantRejected": GrantAction.REJECT,
    "GrantPaused": GrantAction.PAUSE,
    "GrantResumed": GrantAction.RESUME,
    "GrantRevoked": GrantAction.REVOKE,
}


def _subject(grant_id: str, event: ChainEvent) -> Subject:
    return Subject(
        kind="grant",
        grant_id=grant_id,
        block=event.block,
        tx_hash=event.tx,
        event=event.name,
        event_log_index=event.log_index,
    )


def check_grants(ctx: Context) -> None:
    """Grant findings; grants with any failing finding go into ``ctx.invalid_grants``."""
    for grant in ctx.history.grants.values():
        ctx.checked["grants"] += 1
        before = len(ctx.findings)
        document = _check_document(ctx, grant)
        _check_approval(ctx, grant, document)
        for event in grant.actions:
            _check_action(ctx, grant, event)
        if len(ctx.findings) > before:
            ctx.invalid_grants.add(grant.grant_id)


def _check_document(ctx: Context, grant: GrantHistory) -> GrantDocument | None:
    req, gid = grant.request, grant.grant_id
    raw = req.raw("document")
    onchain = grant.terms.document_digest if grant.terms else req.hex("documentDigest")
    digest = "0x" + sm3(raw).hex()
    if digest != onchain:
        ctx.add(
            Finding.of(
                "GRANT_DOCUMENT_DIGEST_MISMATCH",
                _subject(gid, req),
                "SM3 of the emitted grant document is not the digest recorded on chain",
                expected=onchain,
                found=digest,
            )
        )
    try:
        document = parse_grant_document(raw)
    except MalformedGrantDocument as exc:
        ctx.add(
            Finding.of(
                "GRANT_DOCUMENT_MALFORMED",
                _subject(gid, req),
                exc.reason,
                expected="canonical quancheng.grant/1 document",
                found=exc.reason,
            )
        )
        document = None
    if document is not None and grant.terms is not None:
        differ = _terms_differ(document, grant.terms, req)
        if differ:
            expected = {k: v[0] for k, v in differ.items()}
            found = {k: v[1] for k, v in differ.items()}
            ctx.add(
                Finding.of(
                    "GRANT_TERMS_MISMATCH",
                    _subject(gid, req),
                    f"the document differs from the terms on chain: {', '.join(differ)}",
                    expected=expected,
                    found=found,
                )
            )
    consumer = req.code("consumerId")
    state = ctx.history.member_at_pos(consumer, (req.block, req.log_index))
    ctx.signatures += 1
    if state is None or not verify_one(state.key, raw, req.raw("consumerSignature")):
        ctx.add(
            Finding.of(
                "GRANT_CONSUMER_SIGNATURE_INVALID",
                _subject(gid, req),
                f"the consumer signature does not verify with {consumer}'s key at the request",
                expected=f"signed by {consumer}",
                found="signature does not verify",
            )
        )
    return document


def _terms_differ(doc: GrantDocument, t: ChainGrant, req: ChainEvent) -> dict[str, Any]:
    terms = terms_from_document(doc)
    pairs: dict[str, tuple[Any, Any]] = {
        "grant_id": (t.grant_id, doc.grant_id),
        "owner_pseudonym": (t.owner_pseudonym, doc.owner_pseudonym),
        "consumer": (decode_code32(bytes.fromhex(t.consumer_id[2:])), doc.consumer),
        "resources": (t.resource_ids, ["0x" + r.hex() for r in terms.resource_ids]),
        "purpose": (t.purpose, terms.purpose),
        "data_from": (t.data_from, terms.data_from),
        "data_to": (t.data_to, terms.data_to),
        "not_before": (t.not_before, terms.not_before),
        "not_after": (t.not_after, terms.not_after),
        "max_uses": (t.max_uses, terms.max_uses),
        "mode": (t.mode, int(terms.mode)),
    }
    if req.hex("ownerPseudonym") != t.owner_pseudonym:
        pairs["event_owner_pseudonym"] = (t.owner_pseudonym, req.hex("ownerPseudonym"))
    return {k: v for k, v in pairs.items() if v[0] != v[1]}


def _owner_key(ctx: Context, grant: GrantHistory, pos: Pos) -> tuple[bytes | None, str | None]:
    """(The owner's attested key at ``pos``, or None and why not)."""
    pseudonym = grant.terms.owner_pseudonym if grant.terms else grant.request.hex("ownerPseudonym")
    att, revoked = ctx.history.attestation_at(pseudonym, pos)
    if att is None:
        return None, "the owner has no attested key"
    if revoked:
        return att.key, "the owner's attestation was revoked"
    if (att.pseudonym, att.key_version) in ctx.invalid_attestations:
        return att.key, f"the owner's attestation v{att.key_version} does not verify"
    return att.key, None


def _check_approval(ctx: Context, grant: GrantHistory, document: GrantDocument | None) -> None:
    event = grant.approval
    if event is None:
        return
    gid = grant.grant_id
    key, problem = _owner_key(ctx, grant, (event.block, event.log_index))
    named = None if document is None else document.owner_key
    if problem is None and key is not None and named not in (None, "0x" + key.hex()):
        problem = "the document names another key than the owner's attested one"
    if problem is not None:
        ctx.add(
            Finding.of(
                "GRANT_OWNER_NOT_ATTESTED",
                _subject(gid, event),
                problem,
                expected="approved by an attested owner key",
                found=None if key is None else "0x" + key.hex(),
            )
        )
    ctx.signatures += 1
    raw = grant.request.raw("document")
    if key is None or not verify_one(key, raw, event.raw("ownerSignature")):
        ctx.add(
            Finding.of(
                "GRANT_OWNER_SIGNATURE_INVALID",
                _subject(gid, event),
                "the owner's approval signature does not verify with the owner's attested key",
                expected=None if key is None else "signed by 0x" + key.hex(),
                found="signature does not verify",
            )
        )


def _check_action(ctx: Context, grant: GrantHistory, event: ChainEvent) -> None:
    gid = grant.grant_id
    raw = event.raw("actionDocument")
    problem = _action_problem(raw, _ACTION_OF[event.name], gid, grant.request.hex("documentDigest"))
    if problem is not None:
        ctx.add(
            Finding.of(
                "GRANT_ACTION_MALFORMED",
                _subject(gid, event),
                problem,
                expected=f"a canonical {_ACTION_OF[event.name].value} document of this grant",
                found=problem,
            )
        )
    key, _ = _owner_key(ctx, grant, (event.block, event.log_index))
    ctx.signatures += 1
    if key is None or not verify_one(key, raw, event.raw("ownerSignature")):
        ctx.add(
            Finding.of(
                "GRANT_ACTION_SIGNATURE_INVALID",
                _subject(gid, event),
                f"the owner's {_ACTION_OF[event.name].value} signature does not verify",
                expected=None if key is None else "signed by 0x" + key.hex(),
                found="signature does not verify",
            )
        )


def _action_problem(raw: bytes, action: GrantAction, grant_id: str, digest: str) -> str | None:
    try:
        doc = GrantActionDocument.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        return f"not a grant action document ({exc.error_count()} errors)"
    if signing_bytes(doc) != raw:
        return "not in canonical (RFC 8785) form"
    if doc.action is not action:
        return f"the document is a {doc.action.value}, the chain recorded a {action.value}"
    if doc.grant_id != grant_id:
        return f"the document names grant {doc.grant_id}"
    if doc.document_digest != digest:
        return f"the document names grant document {doc.document_digest}"
    return None
