"""How the portal names things (institutions, resources, fields, indicators), and how an
owner's history refreshes coalesce: in process, against a fake chain and gateway."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest

from quancheng.chain import code32
from quancheng_portal.services import history as history_module
from quancheng_portal.services.directory import Directory, Published, published
from quancheng_portal.services.history import History, RefreshReport
from quancheng_portal.services.labels import Name

GATEWAY = "http://tax.example"
NAMES = {"bank.quancheng": "泉城银行", "jinan.tax": "济南市税务局"}
LISTING = {
    "provider": "jinan.tax",
    "resources": [
        {
            "resource_id": "tax.payment",
            "subject_kind": "business",
            "fields": ["tax_amount_fen", "voucher_no"],
            "indicators": ["arrears"],
            "title": "纳税（缴款）记录",
            "field_labels": {"tax_amount_fen": "应纳税额（分）"},
            "indicator_labels": {"arrears": "存在欠税"},
        }
    ],
}


class FakeContracts:
    """The registry's names and the catalogue's entries, as the Directory reads them."""

    def institution(self, institution_id: bytes) -> Any:
        code = institution_id.rstrip(b"\0").decode()
        return SimpleNamespace(name=NAMES.get(code, ""))

    def resource(self, resource_id: bytes) -> Any:
        known = resource_id == code32("tax.payment")
        return SimpleNamespace(
            provider_id=code32("jinan.tax") if known else bytes(32),
            endpoint=GATEWAY if known else "",
        )


def _directory(answer: httpx.Response | None) -> Directory:
    def handler(request: httpx.Request) -> httpx.Response:
        if answer is None:
            raise httpx.ConnectError("down", request=request)
        return answer

    http = httpx.Client(transport=httpx.MockTransport(handler))
    return Directory(cast(Any, FakeContracts()), http)


def test_fields_and_indicators_are_named_by_the_labels_their_gateway_publishes() -> None:
    d = _directory(httpx.Response(200, json=LISTING))
    assert d.resource_name("tax.payment") == Name(code="tax.payment", label="纳税（缴款）记录")
    assert d.item_names("tax.payment", ["tax_amount_fen", "voucher_no"], "RAW") == [
        Name(code="tax_amount_fen", label="应纳税额（分）"),
        Name(code="voucher_no", label=None),  # none published: the page shows the code, muted
    ]
    assert d.item_names("tax.payment", ["arrears"], "DERIVED") == [
        Name(code="arrears", label="存在欠税")
    ]
    assert d.item_names("tax.payment", ["arrears"], "RAW") == [Name(code="arrears")]
    assert d.institution("bank.quancheng") == Name(code="bank.quancheng", label="泉城银行")
    assert d.institution("bank.unknown").text == "bank.unknown"
    assert d.resource("tax.payment").provider_name == "济南市税务局"


@pytest.mark.parametrize(
    "answer", [None, httpx.Response(500), httpx.Response(200, content=b"not json")]
)
def test_a_gateway_that_does_not_answer_leaves_the_codes(answer: httpx.Response | None) -> None:
    d = _directory(answer)
    assert d.resource_name("tax.payment") == Name(code="tax.payment")
    assert d.item_names("tax.payment", ["tax_amount_fen"], "RAW") == [Name(code="tax_amount_fen")]


def test_a_listing_gives_only_short_printable_titles_and_labels() -> None:
    body = {
        "resources": [
            {
                "resource_id": "tax.payment",
                "title": " 纳税（缴款）记录 ",
                "field_labels": {"a": "税种", "b": "长" * 65, "c": 3, "d": "两行\n文字", "e": ""},
                "indicator_labels": ["not", "a", "map"],
            },
            {"title": "没有代码"},
            "not an item",
        ]
    }
    assert published(body) == {"tax.payment": Published("纳税（缴款）记录", {"a": "税种"}, {})}
    assert published(["not", "a", "listing"]) == {}
    assert published({"resources": {"not": "a list"}}) == {}


# ------------------------------------------------------------------ refreshes coalesce


class _Spied(threading.Event):
    """An event that tells when someone starts waiting on it."""

    waiting = threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        self.waiting.set()
        return super().wait(timeout)


@dataclass
class _SpiedFlight(history_module._Flight):
    done: threading.Event = field(default_factory=_Spied)


def test_an_owners_refreshes_never_overlap_and_a_later_one_reads_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(history_module, "_Flight", _SpiedFlight)
    history = History(*cast(Any, [None] * 6))
    started, release = threading.Event(), threading.Event()
    calls: list[bytes] = []

    def slow_refresh(pseudonym: bytes) -> RefreshReport:
        calls.append(pseudonym)
        started.set()
        assert release.wait(10)
        return RefreshReport(new=len(calls))

    monkeypatch.setattr(history, "_refresh", slow_refresh)
    owner = bytes(31) + b"\1"
    reports: list[RefreshReport] = []
    first = threading.Thread(target=lambda: reports.append(history.refresh(owner)))
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=lambda: reports.append(history.refresh(owner)))
    second.start()
    assert _Spied.waiting.wait(10)  # the second waits for the first instead of reading
    release.set()
    first.join(10)
    second.join(10)
    assert len(calls) == 1 and reports[0] is reports[1]
    assert history.refresh(owner).new == 2  # once done, the next refresh reads again
