"""A tiny real HTTP gateway for the SDK tests, honest or dishonest on demand.

It speaks the protocol with the real documents and a real SM2 key registered on chain: it
checks the consumer's signature and the grant on chain like a gateway does, answers with a
signed answer and receipt, anchors its receipts on chain in batches and serves their proofs.
Set ``behaviour`` (answers) or ``proof_behaviour`` (proofs) to make it lie in one precise way,
or ``refusal`` to make it refuse. ``ServerThread`` runs it under uvicorn on 127.0.0.1.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from quancheng import merkle
from quancheng.chain import ContractSet, GrantStatus, code32
from quancheng.chain.writes import anchor_batch
from quancheng.crypto import (
    InvalidSignature,
    SM2PrivateKey,
    SM2PublicKey,
    canonical_digest,
    canonical_json,
    sm3,
)
from quancheng.crypto.seal import seal
from quancheng.grants import protocol_mode, requested_grant
from quancheng.protocol import (
    AnchorDocument,
    Answer,
    GrantMode,
    QueryRequest,
    Receipt,
    SignedReceipt,
    SignedRequest,
    signing_bytes,
)
from quancheng.protocol import refusals as r
from quancheng.protocol.documents import SEALED_FROM_SENSITIVITY, b64, tier_name, unb64
from quancheng.protocol.ids import hex32
from tests.utils.chain_factories import Member
from tests.utils.ports import free_port

_STATUS_REFUSALS: dict[GrantStatus, type[r.Refusal]] = {
    GrantStatus.NONE: r.UnknownGrant,
    GrantStatus.PENDING: r.GrantPending,
    GrantStatus.PAUSED: r.GrantPaused,
    GrantStatus.REVOKED: r.GrantRevoked,
    GrantStatus.EXPIRED: r.GrantExpired,
    GrantStatus.EXHAUSTED: r.GrantExhausted,
    GrantStatus.REJECTED: r.GrantRejected,
}


def _sign(key: SM2PrivateKey, doc: Any) -> str:
    message = canonical_json(doc) if isinstance(doc, dict) else signing_bytes(doc)
    return b64(key.sign(message))


def _digest(data: dict[str, Any]) -> str:
    return "0x" + canonical_digest(data).hex()


@dataclass
class Batch:
    """An anchored batch as the double keeps it."""

    document: AnchorDocument
    signature: str
    receipts: list[SignedReceipt]
    tx_hash: str
    block_number: int


@dataclass
class GatewayDouble:
    """The provider's gateway, as the tests drive it."""

    provider: Member
    contracts: ContractSet
    rows: dict[str, dict[str, Any]]
    behaviour: str = "honest"
    proof_behaviour: str = "honest"
    refusal: r.Refusal | None = None
    signing_key: SM2PrivateKey | None = None
    bodies: list[bytes] = field(default_factory=list)
    receipts: list[SignedReceipt] = field(default_factory=list)
    batches: list[Batch] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)

    @property
    def key(self) -> SM2PrivateKey:
        return self.signing_key or self.provider.sm2

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/query", self._query, methods=["POST"]),
                Route("/v1/receipts/{receipt_id}/proof", self._proof, methods=["GET"]),
            ]
        )

    # ------------------------------------------------------------------------- queries

    async def _query(self, request: Request) -> Response:
        body = await request.body()
        self.bodies.append(body)
        try:
            signed = SignedRequest.model_validate_json(body)
            self._check(signed)
        except r.Refusal as refusal:
            return JSONResponse(refusal.to_body(), status_code=refusal.status)
        except ValueError as exc:
            malformed = r.MalformedRequest(str(exc).splitlines()[0])
            return JSONResponse(malformed.to_body(), status_code=malformed.status)
        return Response(self._answer(signed), media_type="application/json")

    def _check(self, signed: SignedRequest) -> None:
        if self.refusal is not None:
            raise self.refusal
        req = signed.request
        consumer = self.contracts.institution(code32(req.consumer))
        try:
            key = SM2PublicKey.from_bytes(consumer.sm2_public_key)
            key.verify(unb64(signed.signature), signing_bytes(req))
        except (InvalidSignature, ValueError):
            raise r.BadRequestSignature() from None
        if req.request_id in self._seen:
            raise r.ReplayedRequest(request_id=req.request_id)
        self._seen.add(req.request_id)
        grant_id = bytes.fromhex(req.grant_id[2:])
        status = self.contracts.grant_status(grant_id)
        if status is not GrantStatus.ACTIVE:
            raise _STATUS_REFUSALS[status](grant_id=req.grant_id)
        granted = requested_grant(self.contracts, grant_id).document.fields_for(req.resource)
        if granted is None:
            raise r.ResourceNotGranted(resource=req.resource)
        if not set(req.fields) <= set(granted):
            raise r.FieldNotGranted(fields=sorted(set(req.fields) - set(granted)))

    def _seals(self, req: QueryRequest) -> bool:
        """As a gateway does: asked for, or a resource the catalogue rates sensitive."""
        record = self.contracts.resource(code32(req.resource))
        return req.seal or int(record.sensitivity) >= SEALED_FROM_SENSITIVITY

    def _seal(self, req: QueryRequest, data: dict[str, Any], request_hash: str) -> tuple[str, str]:
        """The data sealed to the consumer's registered key, and the plaintext's digest."""
        consumer = self.contracts.institution(code32(req.consumer))
        key = SM2PublicKey.from_bytes(bytes(consumer.sm2_public_key))
        if self.behaviour == "sealed_to_another_key":
            key = SM2PrivateKey.generate().public_key()
        payload: dict[str, Any] = {"data": data, "salt": hex32(secrets.token_bytes(32))}
        if self.behaviour == "sealed_without_salt":
            del payload["salt"]
        plaintext = canonical_json(payload)
        aad = b"other" if self.behaviour == "sealed_for_another_request" else b""
        envelope = seal(key, plaintext, aad=aad or bytes.fromhex(request_hash[2:]))
        return base64.b64encode(envelope).decode(), "0x" + sm3(plaintext).hex()

    def _answer(self, signed: SignedRequest) -> bytes:
        req, key, how = signed.request, self.key, self.behaviour
        if how == "malformed_json":
            return b'{"type": "quancheng.answer/3", "request_id"'
        row = self.rows[req.resource]
        fields = list(req.fields) + (["owner_name"] if how == "extra_field" else [])
        if how == "missing_field":
            fields = fields[:-1]
        data: dict[str, Any] = {f: row[f] for f in fields}
        if how == "null_field":  # honest: the source has no value for the last field
            data[fields[-1]] = None
        request_hash = req.digest_hex()
        if how == "wrong_request_hash":
            request_hash = hex32(secrets.token_bytes(32))
        digest = _digest(data)
        sealed: str | None = None
        if self._seals(req) and how != "unsealed":
            sealed, digest = self._seal(req, data, request_hash)
        if how == "data_digest_mismatch":
            digest = _digest({**data, "status": "forged"})
        grant = self.contracts.grant(bytes.fromhex(req.grant_id[2:]))
        tier = "DOMAIN" if how == "receipt_wrong_tier" else tier_name(grant.purpose)
        mode = protocol_mode(grant.mode)
        other_mode = GrantMode.DERIVED if mode is GrantMode.RAW else GrantMode.RAW
        receipt = Receipt(
            receipt_id=str(uuid.uuid4()),
            grant_id=hex32(secrets.token_bytes(32))
            if how == "receipt_other_grant"
            else req.grant_id,
            consumer=req.consumer,
            provider=self.provider.code,
            resource=req.resource,
            purpose=req.purpose,
            tier=tier,
            mode=other_mode if how == "receipt_wrong_mode" else mode,
            request_hash=request_hash,
            response_hash=hex32(secrets.token_bytes(32))
            if how == "receipt_response_hash"
            else digest,
            view_block=int(self.contracts.w3.eth.block_number),
            served_at_ms=int(time.time() * 1000),
        )
        if how == "wrong_key":
            key = SM2PrivateKey.generate()
        receipt_sig = _sign(
            key, {"not": "the receipt"} if how == "receipt_bad_signature" else receipt
        )
        signed_receipt = SignedReceipt(
            log_index=len(self.receipts), receipt=receipt, signature=receipt_sig
        )
        answer = Answer(
            request_id=str(uuid.uuid4()) if how == "other_request_id" else req.request_id,
            request_hash=request_hash,
            grant_id=req.grant_id,
            provider=self.provider.code,
            resource="other.resource" if how == "other_resource" else req.resource,
            mode=other_mode if how == "wrong_mode" else mode,
            data=None if sealed is not None else data,
            sealed=sealed,
            data_digest=digest,
            receipt=signed_receipt,
            served_at_ms=receipt.served_at_ms + (1 if how == "served_at_differs" else 0),
        )
        self.receipts.append(signed_receipt)
        out: dict[str, Any] = answer.model_dump(mode="json")
        if how == "tampered_in_transit":
            if sealed is not None:
                raw = bytearray(base64.b64decode(sealed))
                raw[-20] ^= 1  # one bit of the SM4-GCM ciphertext
                out["sealed"] = base64.b64encode(bytes(raw)).decode()
            else:
                out["data"][req.fields[0]] = "tampered"
        if how == "extra_top_level_field":
            out["debug"] = True
        return json.dumps(out).encode()

    # -------------------------------------------------------------------------- anchors

    def anchor(self) -> Batch:
        """Anchor every receipt not yet in a batch, on chain, from the provider's account."""
        first = sum(len(b.receipts) for b in self.batches)
        pending = self.receipts[first:]
        leaves = [merkle.leaf_hash(signing_bytes(sr)) for sr in pending]
        prev = self.batches[-1].document.root if self.batches else hex32(b"\x00" * 32)
        document = AnchorDocument(
            provider=self.provider.code,
            seq=len(self.batches),
            root=hex32(merkle.root(leaves)),
            size=len(pending),
            first_index=first,
            prev_root=prev,
        )
        signature = self.key.sign(signing_bytes(document))
        tx = anchor_batch(
            self.contracts,
            self.provider.account,
            provider_id=self.provider.id,
            seq=document.seq,
            root=bytes.fromhex(document.root[2:]),
            size=document.size,
            prev_root=bytes.fromhex(prev[2:]),
            signature=signature,
        )
        batch = Batch(
            document,
            b64(signature),
            pending,
            "0x" + bytes(tx["transactionHash"]).hex(),
            int(tx["blockNumber"]),
        )
        self.batches.append(batch)
        return batch

    async def _proof(self, request: Request) -> Response:
        receipt_id = request.path_params["receipt_id"]
        found = [
            (i, sr) for i, sr in enumerate(self.receipts) if sr.receipt.receipt_id == receipt_id
        ]
        if not found:
            refusal: r.Refusal = r.UnknownReceipt(receipt_id=receipt_id)
            return JSONResponse(refusal.to_body(), status_code=refusal.status)
        index, receipt = found[0]
        batch = next(
            (
                b
                for b in self.batches
                if b.document.first_index <= index < b.document.first_index + b.document.size
            ),
            None,
        )
        if batch is None:
            refusal = r.ReceiptNotAnchored(receipt_id=receipt_id)
            return JSONResponse(refusal.to_body(), status_code=refusal.status)
        return JSONResponse(self._proof_body(batch, index, receipt))

    def _proof_body(self, batch: Batch, index: int, receipt: SignedReceipt) -> dict[str, Any]:
        how = self.proof_behaviour
        if how == "malformed":
            return {"receipt": "nope"}
        leaves = [merkle.leaf_hash(signing_bytes(sr)) for sr in batch.receipts]
        leaf_index = index - batch.document.first_index
        path = merkle.inclusion_proof(leaves, leaf_index)
        document, signature = batch.document, batch.signature
        if how == "bad_path":
            path[0] = bytes([path[0][0] ^ 1]) + path[0][1:]
        if how == "wrong_leaf_index":
            leaf_index = (leaf_index + 1) % len(leaves)
        if how == "wrong_root":
            document = document.model_copy(update={"root": hex32(secrets.token_bytes(32))})
            signature = _sign(self.key, document)
        if how == "bad_anchor_signature":
            signature = _sign(self.key, {"not": "the batch"})
        if how == "other_receipt":
            receipt = next(sr for sr in batch.receipts if sr != receipt)
        if how == "moved_receipt":  # the same signed receipt, told at another position
            receipt = receipt.model_copy(update={"log_index": receipt.log_index + 1})
        block = batch.block_number + (1 if how == "wrong_block" else 0)
        return {
            "receipt": receipt.model_dump(mode="json"),
            "batch": document.model_dump(mode="json"),
            "anchor_signature": signature,
            "leaf_index": leaf_index,
            "proof": ["0x" + p.hex() for p in path],
            "anchor_tx": batch.tx_hash,
            "anchor_block": block,
        }


class ServerThread:
    """Run an ASGI app under uvicorn on 127.0.0.1 in a background thread."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test gateway did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
