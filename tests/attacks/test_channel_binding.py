"""Someone on the network, or another member, uses a captured request or reader token.

The gateway is a real uvicorn process serving TLS with the consortium's CA, asking every
client for its certificate. Each member holds a certificate of the development CA; a query
and a reader token name the channel of the certificate they are meant for (SM3 of its public
key, inside what the member signs with its on-chain SM2 key). Whoever replays the very
bytes over their own connection is refused before the request id is spent, and the bank's
own request is still answered afterwards. Answers of sensitive resources travel sealed to
the consumer's SM2 key: a TLS-terminating proxy or a log that keeps them holds ciphertext.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from quancheng.crypto import SM2PrivateKey
from quancheng.crypto.seal import open_sealed
from quancheng.errors import CryptoError
from quancheng.log_reader import LogReader
from quancheng.protocol import GrantDocument, SignedRequest
from quancheng.tls import TlsConfig
from quancheng_appkit.devca import DevCa
from quancheng_gateway.process import GatewayProcess
from tests.attacks.support import FIELDS, VR, assert_refused
from tests.gateway.support import answer_data, verify_answer
from tests.utils.chain_factories import Member
from tests.utils.ports import free_port
from tests.utils.scenario import Scenario, gateway_settings, signed_request


@pytest.fixture(scope="module")
def ca(sc: Scenario, other_consumer: Member, tmp_path_factory: pytest.TempPathFactory) -> DevCa:
    codes = (sc.consumer.code, other_consumer.code, sc.auditor.code)
    return DevCa.ensure(tmp_path_factory.mktemp("chan-ca"), codes)


@pytest.fixture(scope="module")
def tls_gw(sc: Scenario, ca: DevCa, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    work = tmp_path_factory.mktemp("chan-gw")
    settings = gateway_settings(
        sc,
        database_url=f"sqlite:///{work / 'gw.db'}",
        port=free_port(),
        tls_cert_file=ca.server_cert_file,
        tls_key_file=ca.server_key_file,
        tls_client_ca_file=ca.ca_file,
    )
    proc = GatewayProcess(settings, log_file=work / "gateway.log", tls=ca.anonymous())
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def _post(gw: GatewayProcess, tls: TlsConfig, signed: SignedRequest | bytes) -> httpx.Response:
    body = signed if isinstance(signed, bytes) else signed.canonical()
    with httpx.Client(verify=tls.ssl_context(), timeout=30) as client:
        return client.post(
            gw.url + "/v1/query", content=body, headers={"content-type": "application/json"}
        )


def _bound(sc: Scenario, doc: GrantDocument, tls: TlsConfig) -> SignedRequest:
    return signed_request(sc.consumer, doc, VR, FIELDS, channel=tls.channel)


def test_a_bound_request_is_answered_sealed_over_the_consumers_own_connection(
    sc: Scenario, grant: GrantDocument, ca: DevCa, tls_gw: GatewayProcess
) -> None:
    bank = ca.client(sc.consumer.code)
    signed = _bound(sc, grant, bank)
    resp = _post(tls_gw, bank, signed)
    assert resp.status_code == 200, resp.text
    key = sc.provider.sm2.public_key()
    answer = verify_answer(resp.content, signed, key, FIELDS, sc.consumer.sm2)
    assert answer.data is None and answer.sealed is not None  # sensitivity 3
    assert set(answer_data(answer, sc.consumer.sm2)) == set(FIELDS)
    # Whoever kept the bytes on the way (a proxy ending TLS, a log) holds only ciphertext.
    envelope = base64.b64decode(answer.sealed)
    aad = bytes.fromhex(signed.request.digest_hex()[2:])
    with pytest.raises(CryptoError):
        open_sealed(SM2PrivateKey.generate(), envelope, aad=aad)


def test_a_captured_request_replayed_by_another_member_is_refused_and_stays_usable(
    sc: Scenario, grant: GrantDocument, other_consumer: Member, ca: DevCa, tls_gw: GatewayProcess
) -> None:
    bank = ca.client(sc.consumer.code)
    signed = _bound(sc, grant, bank)
    captured = signed.canonical()

    thief = ca.client(other_consumer.code)  # a member, with a certificate of the same CA
    error = assert_refused(_post(tls_gw, thief, captured), 403, "CHANNEL_MISMATCH")
    assert "plate_no" not in str(error)

    # The id was not spent: the bank's own send is answered.
    assert _post(tls_gw, bank, captured).status_code == 200


def test_a_non_member_without_a_certificate_gets_no_data(
    sc: Scenario, grant: GrantDocument, ca: DevCa, tls_gw: GatewayProcess
) -> None:
    captured = _bound(sc, grant, ca.client(sc.consumer.code)).canonical()
    assert_refused(_post(tls_gw, ca.anonymous(), captured), 401, "CHANNEL_REQUIRED")


def test_a_non_member_with_a_certificate_of_another_ca_is_not_even_connected(
    sc: Scenario, grant: GrantDocument, ca: DevCa, tls_gw: GatewayProcess, tmp_path: Path
) -> None:
    rogue = DevCa.ensure(tmp_path / "rogue", [sc.consumer.code]).client(sc.consumer.code)
    tls = TlsConfig(ca.ca_file, rogue.cert_file, rogue.key_file)
    captured = _bound(sc, grant, ca.client(sc.consumer.code)).canonical()
    with pytest.raises(httpx.TransportError):
        _post(tls_gw, tls, captured)


def test_an_unbound_request_is_refused_by_a_gateway_asking_for_certificates(
    sc: Scenario, grant: GrantDocument, ca: DevCa, tls_gw: GatewayProcess
) -> None:
    bank = ca.client(sc.consumer.code)
    unbound = signed_request(sc.consumer, grant, VR, FIELDS)  # channel null
    assert_refused(_post(tls_gw, bank, unbound), 401, "CHANNEL_REQUIRED")


def test_a_channel_cannot_be_swapped_without_breaking_the_signature(
    sc: Scenario, grant: GrantDocument, other_consumer: Member, ca: DevCa, tls_gw: GatewayProcess
) -> None:
    thief = ca.client(other_consumer.code)
    signed = _bound(sc, grant, ca.client(sc.consumer.code))
    rebound = signed.request.model_copy(update={"channel": thief.channel})
    forged = SignedRequest(request=rebound, signature=signed.signature)
    assert_refused(_post(tls_gw, thief, forged), 401, "BAD_REQUEST_SIGNATURE")


def test_a_reader_token_read_off_the_wire_is_refused_on_another_connection(
    sc: Scenario, other_consumer: Member, ca: DevCa, tls_gw: GatewayProcess
) -> None:
    auditor_tls = ca.client(sc.auditor.code)
    url = tls_gw.url + "/v1/receipts?from_index=0&limit=10"
    reader = LogReader(sc.auditor.code, sc.auditor.sm2, channel=auditor_tls.channel)
    headers = reader.headers(url, audience=sc.provider.code)

    with httpx.Client(verify=ca.client(other_consumer.code).ssl_context(), timeout=30) as thief:
        assert_refused(thief.get(url, headers=headers), 401, "BAD_READER_TOKEN")
    with httpx.Client(verify=ca.anonymous().ssl_context(), timeout=30) as stranger:
        assert_refused(stranger.get(url, headers=headers), 401, "BAD_READER_TOKEN")
    with httpx.Client(verify=auditor_tls.ssl_context(), timeout=30) as auditor:
        fresh = reader.headers(url, audience=sc.provider.code)
        assert auditor.get(url, headers=fresh).status_code == 200
        plain = LogReader(sc.auditor.code, sc.auditor.sm2)
        unbound = plain.headers(url, audience=sc.provider.code)
        assert_refused(auditor.get(url, headers=unbound), 401, "BAD_READER_TOKEN")
