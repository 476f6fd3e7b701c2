"""Receipt bundles: exported from a real gateway and chain, verified offline and on chain;
every tampering fails the check that names it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from quancheng import merkle
from quancheng.chain import ContractSet
from quancheng.crypto import SM2PrivateKey
from quancheng.protocol import AnchorDocument, Receipt, SignedReceipt
from quancheng.protocol.documents import b64
from quancheng_audit.bundle import (
    ReceiptBundle,
    load_bundle,
    verify_bundle,
    verify_bundle_on_chain,
)
from tests.audit.trail import Trail


def _failed(bundle: ReceiptBundle, contracts: ContractSet | None = None) -> list[str]:
    checks = verify_bundle(bundle)
    if contracts is not None:
        checks += verify_bundle_on_chain(bundle, contracts)
    return [c.name for c in checks if not c.ok]


def _edit(trail: Trail, change: Any) -> ReceiptBundle:
    data = json.loads(trail.bundles["after_rotation"].read_text())
    change(data)
    return ReceiptBundle.model_validate(data)


@pytest.mark.parametrize("which", ["before_rotation", "after_rotation"])
def test_exported_bundles_verify_offline_and_on_chain(trail: Trail, which: str) -> None:
    bundle = load_bundle(trail.bundles[which])
    contracts = ContractSet(trail.sc.net.w3, trail.sc.net.manifest)
    assert _failed(bundle, contracts) == []
    assert bundle.provider.institution == trail.provider
    rotated = bundle.provider.until_block is not None
    assert rotated == (which == "before_rotation")  # the old key's record ends at the rotation


def test_edited_receipt_fails_its_signature_and_inclusion(trail: Trail) -> None:
    def change(d: dict[str, Any]) -> None:
        d["receipt"]["receipt"]["served_at_ms"] += 1

    assert _failed(_edit(trail, change)) == ["receipt signature", "inclusion"]


def test_altered_audit_path_fails_inclusion(trail: Trail) -> None:
    def change(d: dict[str, Any]) -> None:
        d["inclusion"]["proof"] = ["0x" + "11" * 32, *d["inclusion"]["proof"][1:]]
        d["inclusion"]["leaf_index"] = d["inclusion"]["leaf_index"] or 1

    assert "inclusion" in _failed(_edit(trail, change))


def test_foreign_anchor_signature(trail: Trail) -> None:
    def change(d: dict[str, Any]) -> None:
        doc = AnchorDocument.model_validate(d["inclusion"]["batch"])
        d["inclusion"]["anchor_signature"] = b64(SM2PrivateKey.generate().sign(doc.canonical()))

    assert _failed(_edit(trail, change)) == ["anchor signature"]


def test_edited_grant_document(trail: Trail) -> None:
    def change(d: dict[str, Any]) -> None:
        d["grant"]["document"] = d["grant"]["document"].replace('"max_uses":10', '"max_uses":99')

    assert _failed(_edit(trail, change))[:1] == ["grant digest"]


def test_owner_signature_by_another_key(trail: Trail) -> None:
    def change(d: dict[str, Any]) -> None:
        d["grant"]["owner_signature"] = b64(
            SM2PrivateKey.generate().sign(d["grant"]["document"].encode())
        )

    assert _failed(_edit(trail, change)) == ["owner signature"]


def test_attestation_naming_another_key(trail: Trail) -> None:
    def change(d: dict[str, Any]) -> None:
        other = "0x" + SM2PrivateKey.generate().public_key().to_bytes().hex()
        doc = json.loads(d["owner"]["attestation_document"])
        d["owner"]["attestation_document"] = json.dumps(
            {**doc, "owner_key": other}, separators=(",", ":"), sort_keys=True
        )

    assert _failed(_edit(trail, change)) == ["attestation"]


def test_self_consistent_forgery_passes_offline_but_not_on_chain(trail: Trail) -> None:
    """An attacker key signs a receipt and a one-receipt batch and claims to be the provider:
    nothing inside the bundle contradicts it; the chain does."""
    attacker = SM2PrivateKey.generate()

    def change(d: dict[str, Any]) -> None:
        r = Receipt.model_validate(d["receipt"]["receipt"])
        signed = SignedReceipt(
            log_index=0, receipt=r, signature=b64(attacker.sign(r.canonical()))
        )
        d["receipt"] = signed.model_dump(mode="json")
        root = "0x" + merkle.leaf_hash(signed.canonical()).hex()
        batch = AnchorDocument.model_validate(
            {**d["inclusion"]["batch"], "root": root, "size": 1, "first_index": 0}
        )
        d["inclusion"].update(
            batch=batch.model_dump(mode="json"),
            leaf_index=0,
            proof=[],
            anchor_signature=b64(attacker.sign(batch.canonical())),
        )
        d["provider"]["sm2_public_key"] = "0x" + attacker.public_key().to_bytes().hex()

    bundle = _edit(trail, change)
    assert _failed(bundle) == []
    contracts = ContractSet(trail.sc.net.w3, trail.sc.net.manifest)
    assert _failed(bundle, contracts) == ["anchor on chain", "provider key on chain"]


def test_bundle_file_must_be_a_bundle(tmp_path: Path) -> None:
    from quancheng_audit.errors import BundleError

    path = tmp_path / "x.json"
    path.write_text("{}")
    with pytest.raises(BundleError):
        load_bundle(path)
