"""The auditor's reads of hostile gateways stop at their bounds, with an error naming both.

A fresh deployment's catalogue lists, for one provider each, an endpoint of a fake gateway
served here over real HTTP (:mod:`tests.attacks.fake_gateway`): a receipt log that never
ends, a batch list that never ends, an answer that never ends, one that drips, one that
redirects; and one over mutual TLS. The auditor reads them as ``collect`` and the
``quancheng audit`` / ``quancheng receipt export`` commands do. Timing is asserted loosely:
never sooner than the deadline, never later than the deadline plus :data:`MARGIN_S`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from quancheng.chain import ContractSet, Role, code32, purposes_mask
from quancheng.crypto import canonical_json, sm3
from quancheng.http_bounds import (
    EndpointNotAllowed,
    RedirectRefused,
    ResponseTooLarge,
    ResponseTooSlow,
)
from quancheng_appkit.devca import DevCa
from quancheng_audit import collect
from quancheng_audit.errors import LogTooLong, LogTooSlow, SourceUnavailable
from quancheng_audit.gateway_reads import ReadLimits
from quancheng_cli.main import app
from tests.attacks.fake_gateway import FakeGatewayThread, hits
from tests.audit.trail import FUNDER_INDEX
from tests.utils.chain_factories import Member, TestNetwork, admit, deploy_test_network

runner = CliRunner()
#: Generous: two shared cores, other suites running beside this one.
MARGIN_S = 15.0
BEHAVIOURS = ("endless-log", "endless-batches", "endless", "drip", "redirect")
MIB = 1024 * 1024


@dataclass
class Hostile:
    """The deployment, its auditor, and the catalogue's hostile endpoints by behaviour."""

    net: TestNetwork
    contracts: ContractSet
    auditor: Member
    providers: dict[str, str]
    endpoints: dict[str, str]
    fake: FakeGatewayThread
    tls_fake: FakeGatewayThread
    ca: DevCa
    manifest: Path

    def collect(self, behaviour: str, **kw: Any) -> Any:
        return collect(self.contracts, gateways=[self.endpoints[behaviour]], **kw)


def _list(net: TestNetwork, provider: Member, endpoint: str) -> None:
    """Register one resource of ``provider`` served at ``endpoint``."""
    fields = ["status"]
    net.send(
        net.committee[0],
        net.catalogue.functions.register(
            code32(f"res.{provider.code}"), provider.id, [code32(f) for f in fields],
            sm3(canonical_json({"fields": fields})), 1, purposes_mask(1), endpoint,
        ),
    )  # fmt: skip


@pytest.fixture(scope="module")
def hostile(chain_node: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    work = tmp_path_factory.mktemp("hostile-gateways")
    ca = DevCa.ensure(work / "ca")
    fake = FakeGatewayThread().start()
    tls_fake = FakeGatewayThread(
        certfile=ca.server_cert_file, keyfile=ca.server_key_file, client_ca=ca.ca_file
    ).start()
    try:
        net = deploy_test_network(
            chain_node.rpc_url, chain_node.dev_private_keys[FUNDER_INDEX], committee_size=2,
            threshold=1,
        )  # fmt: skip
        auditor = admit(net, Role.AUDITOR)
        endpoints = {b: f"{fake.url}/{b}" for b in BEHAVIOURS}
        endpoints["tls"] = f"{tls_fake.url}/endless-batches"
        providers = {}
        for behaviour, endpoint in endpoints.items():
            provider = admit(net, Role.PROVIDER)
            _list(net, provider, endpoint)
            providers[behaviour] = provider.code
        manifest = work / "manifest.json"
        net.manifest.save(manifest)
        yield Hostile(
            net, net.contracts, auditor, providers, endpoints, fake, tls_fake, ca, manifest
        )
    finally:
        fake.stop()
        tls_fake.stop()


def _counting(segment: str, action: Callable[[], object]) -> tuple[BaseException | None, int]:
    """Run ``action``; what it raised, and how many requests ``segment`` received meanwhile."""
    before = hits().get(segment, 0)
    try:
        action()
    except Exception as exc:
        return exc, hits().get(segment, 0) - before
    return None, hits().get(segment, 0) - before


# --------------------------------------------------------------------------------- lengths


def test_an_endless_receipt_log_stops_the_audit_at_its_bound(hostile: Hostile) -> None:
    url = hostile.endpoints["endless-log"]
    error, asked = _counting(
        "endless-log", lambda: hostile.collect("endless-log", limits=ReadLimits(max_receipts=5000))
    )
    assert isinstance(error, LogTooLong)
    assert (error.source, error.provider, error.what, error.limit) == (
        url, hostile.providers["endless-log"], "receipts", 5000,
    )  # fmt: skip
    assert asked == 1  # the first page said 10¹²: nothing more is asked

    result = runner.invoke(app, [*_common(hostile), "--gateway", url, "--max-receipts", "5000"])
    assert result.exit_code == 2, result.output
    provider = hostile.providers["endless-log"]
    assert f"LOG_TOO_LONG: {url}: the gateway of {provider}" in result.output
    assert "more than 5000 receipts" in result.output and "Traceback" not in result.output


def test_an_endless_batch_list_stops_the_audit_at_its_bound(hostile: Hostile) -> None:
    url = hostile.endpoints["endless-batches"]
    error, asked = _counting(
        "endless-batches",
        lambda: hostile.collect("endless-batches", limits=ReadLimits(max_batches=50)),
    )
    assert isinstance(error, LogTooLong)
    assert (error.source, error.what, error.limit) == (url, "batches", 50)
    assert asked == 1 + 51  # the log's one page, the 50 batches, and the 51st that is one too many

    result = runner.invoke(app, [*_common(hostile), "--gateway", url, "--max-batches", "50"])
    assert result.exit_code == 2, result.output
    assert "LOG_TOO_LONG" in result.output and "more than 50 batches" in result.output


def test_the_bytes_read_from_one_gateway_are_bounded_in_all(hostile: Hostile) -> None:
    limits = ReadLimits(max_bytes=20_000)
    error, asked = _counting(
        "endless-batches", lambda: hostile.collect("endless-batches", limits=limits)
    )
    assert isinstance(error, LogTooLong)
    assert (error.what, error.limit) == ("bytes", 20_000)
    assert asked < 200  # batches are a few hundred bytes each


def test_an_answer_that_never_ends_is_cut_at_the_page_bound(hostile: Hostile) -> None:
    limits = ReadLimits(max_page_bytes=MIB)
    error, asked = _counting("endless", lambda: hostile.collect("endless", limits=limits))
    assert isinstance(error, ResponseTooLarge)
    assert error.limit == MIB and error.url.startswith(hostile.endpoints["endless"] + "/v1/")
    assert asked == 1


# ---------------------------------------------------------------------------------- time


def test_a_slow_drip_stops_at_the_gateway_deadline(hostile: Hostile) -> None:
    started = time.monotonic()
    error, _ = _counting("drip", lambda: hostile.collect("drip", limits=ReadLimits(deadline_s=1)))
    elapsed = time.monotonic() - started
    assert isinstance(error, LogTooSlow)
    assert (error.source, error.deadline_s) == (hostile.endpoints["drip"], 1)
    assert 1.0 <= elapsed < 1.0 + MARGIN_S


def test_a_slow_drip_stops_at_the_request_deadline(hostile: Hostile) -> None:
    limits = ReadLimits(request_deadline_s=1.0)
    started = time.monotonic()
    error, _ = _counting("drip", lambda: hostile.collect("drip", limits=limits))
    assert isinstance(error, ResponseTooSlow) and error.deadline_s == 1.0
    assert time.monotonic() - started < 1.0 + MARGIN_S


# ---------------------------------------------------------------------------- where to


def test_a_redirect_off_the_catalogue_is_refused_and_never_followed(hostile: Hostile) -> None:
    before = hits().get("stolen", 0)
    error, asked = _counting("redirect", lambda: hostile.collect("redirect"))
    assert isinstance(error, RedirectRefused)
    assert error.status == 302 and error.location.endswith("/stolen/")
    assert asked == 1 and hits().get("stolen", 0) == before


def test_an_endpoint_not_in_the_catalogue_is_never_contacted(hostile: Hostile) -> None:
    port = hostile.fake.port
    for url, segment in (
        (f"{hostile.fake.url}/unlisted", "unlisted"),
        # The same server under another name: not the catalogue's endpoint either.
        (f"http://localhost:{port}/endless-log", "endless-log"),
    ):
        error, asked = _counting(segment, lambda u=url: collect(hostile.contracts, gateways=[u]))  # type: ignore[misc]
        assert isinstance(error, EndpointNotAllowed) and error.url.startswith(url)
        assert asked == 0

    unlisted = f"{hostile.fake.url}/unlisted"
    result = runner.invoke(app, [*_common(hostile), "--gateway", unlisted])
    assert result.exit_code == 2 and "ENDPOINT_NOT_ALLOWED" in result.output, result.output
    out = hostile.manifest.parent / "bundle.json"
    export = runner.invoke(
        app,
        ["receipt", "export", "00000000-0000-4000-8000-000000000000", "--out", str(out),
         "--manifest", str(hostile.manifest), "--rpc-url", _rpc(hostile), "--gateway", unlisted],
    )  # fmt: skip
    assert export.exit_code == 2 and "ENDPOINT_NOT_ALLOWED" in export.output, export.output
    assert hits().get("unlisted", 0) == 0 and not out.exists()


# ---------------------------------------------------------------------------------- TLS


def test_gateways_are_read_over_mutual_tls(hostile: Hostile) -> None:
    ca = hostile.ca
    limits = ReadLimits(max_batches=3)
    member = ca.client(hostile.auditor.code)
    error, asked = _counting(
        "endless-batches", lambda: hostile.collect("tls", tls=member, limits=limits)
    )
    assert isinstance(error, LogTooLong) and error.what == "batches" and asked == 1 + 4

    for tls in (ca.anonymous(), None):  # no client certificate; the system's CAs
        error, asked = _counting(
            "endless-batches",
            lambda t=tls: hostile.collect("tls", tls=t, limits=limits),  # type: ignore[misc]
        )
        assert isinstance(error, SourceUnavailable) and type(error) is SourceUnavailable
        assert asked == 0

    files = ["--tls-ca", str(member.ca_file), "--tls-cert", str(member.cert_file),
             "--tls-key", str(member.key_file)]  # fmt: skip
    url = hostile.endpoints["tls"]
    result = runner.invoke(app, [*_common(hostile), "--gateway", url, "--max-batches", "3", *files])
    assert result.exit_code == 2 and "more than 3 batches" in result.output, result.output
    lone = runner.invoke(app, [*_common(hostile), "--gateway", url, *files[2:]])
    assert lone.exit_code == 2 and "need --tls-ca" in lone.output


def _rpc(hostile: Hostile) -> str:
    return str(hostile.net.w3.provider.endpoint_uri)  # type: ignore[attr-defined]


def _common(hostile: Hostile) -> list[str]:
    return ["audit", "--manifest", str(hostile.manifest), "--rpc-url", _rpc(hostile), "--quiet"]
