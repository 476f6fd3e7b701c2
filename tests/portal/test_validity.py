"""What is wrong with a pending request, told to the owner in plain Chinese sentences.

Each problem keeps its code (logs, refusals, tests) and gets one sentence naming data by the
catalogue's Chinese titles and labels, never by a code, with the bound it breaks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, cast

from quancheng.protocol import GrantDocument, GrantMode, ScopeItem
from quancheng.schemas import ResourceSchema
from quancheng.scope_check import ResourceFacts
from quancheng_portal.services.directory import Directory
from quancheng_portal.services.labels import Name
from quancheng_portal.services.validity import ProblemView, request_problems

VR, FIRM, BARE = "vehicle.registration", "market.business_registration", "bare.resource"
NOW = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())
DAY = 86_400
_TITLES = {VR: "机动车登记信息", FIRM: "企业登记信息"}
_LABELS = {"plate_no": "号牌号码", "status": "机动车状态", "vehicle_count": "名下车辆数"}
_SCHEMAS = {
    VR: ResourceSchema(VR, "person", frozenset({"plate_no", "status"}),
                       frozenset({"vehicle_count"})),
    FIRM: ResourceSchema(FIRM, "business", frozenset({"uscc"}), frozenset()),
    BARE: ResourceSchema(BARE, "person", frozenset({"x1"}), frozenset({"y1"})),
}  # fmt: skip


class _Catalogue:
    """The directory as validity reads it: three resources, one without a published title."""

    def facts(self, code: str) -> ResourceFacts | None:
        schema = _SCHEMAS.get(code)
        if schema is None:
            return None
        return ResourceFacts(code, schema.fields | schema.indicators, schema)

    def resource_name(self, code: str) -> Name:
        return Name(code=code, label=_TITLES.get(code))

    def item_names(self, resource: str, names: Iterable[str], mode: Any) -> list[Name]:
        return [Name(code=n, label=_LABELS.get(n)) for n in names]


def _problems(scope: dict[str, tuple[str, ...]], **terms: Any) -> list[ProblemView]:
    values: dict[str, Any] = {
        "grant_id": "0x" + "11" * 32, "owner_pseudonym": "0x" + "22" * 32,
        "owner_key": "0x04" + "33" * 64, "consumer": "bank.test", "purpose": 1,
        "scope": tuple(ScopeItem(resource=r, fields=tuple(sorted(f)))
                       for r, f in sorted(scope.items())),
        "mode": GrantMode.RAW, "data_from": "2020-01-01", "data_to": "2025-12-31",
        "not_before": NOW - 60, "not_after": NOW + 30 * DAY, "max_uses": 10,
        "requested_at": NOW,
    }  # fmt: skip
    doc = GrantDocument(**{**values, **terms})
    return request_problems(doc, cast(Directory, _Catalogue()), clock=lambda: NOW)


def _said(problems: list[ProblemView]) -> dict[str, str]:
    return {p.code: p.message for p in problems}


def test_a_sound_request_has_no_problem() -> None:
    assert _problems({VR: ("plate_no", "status")}) == []


def test_data_problems_name_the_data_by_its_chinese_titles() -> None:
    said = _said(_problems({VR: ("plate_no", "no_such_field"), FIRM: ("uscc",), "gone.x": ("a",)}))

    assert said == {
        "RESOURCE_UNKNOWN": "机构要读取的一类数据不在全市数据目录中，无法确认它是什么。",
        "FIELD_UNKNOWN": "机构要读取“机动车登记信息”中的一项内容，但数据目录里没有这一项。",
        "SUBJECT_KIND_MISMATCH": "“企业登记信息”是关于企业的数据，而您是个人，这项请求不该发给您。",
    }


def test_a_name_in_the_wrong_mode_is_named_by_its_label_or_described() -> None:
    derived = _said(_problems({VR: ("plate_no",)}, mode=GrantMode.DERIVED))
    raw = _said(_problems({VR: ("vehicle_count",)}))
    unlabelled = _said(_problems({BARE: ("y1",)}))

    assert derived["MODE_MISMATCH"] == (
        "这项授权只让机构得到加工后的结论，却要读取“机动车登记信息”的原始内容“号牌号码”。"
    )
    assert raw["MODE_MISMATCH"] == (
        "这项授权是读取原始内容，却混入了“机动车登记信息”的加工结果“名下车辆数”。"
    )
    assert (
        unlabelled["MODE_MISMATCH"]
        == "这项授权是读取原始内容，却混入了其中一类数据的一项加工结果。"
    )


def test_terms_over_their_bounds_say_the_number_and_the_bound() -> None:
    problems = _problems(
        {VR: ("plate_no",)}, max_uses=200_000, not_before=NOW, not_after=NOW + 2_000 * DAY,
        data_from="1900-01-01",
    )  # fmt: skip

    assert [(p.code, p.message) for p in problems] == [
        ("MAX_USES_OUT_OF_BOUNDS", "机构请求最多使用 200,000 次，超过了上限 100,000 次。"),
        ("VALIDITY_OUT_OF_BOUNDS", "授权有效期长达 2,000 天，超过了上限 1,096 天（约三年）。"),
        ("VALIDITY_OUT_OF_BOUNDS",
         "授权要到 2031年8月22日 08:00 才结束，超过了从请求之日起最多 1,096 天（约三年）的期限。"),
        ("DATA_PERIOD_OUT_OF_BOUNDS",
         "机构要读取从 1900年1月1日 起的数据，而数据最早只能从 1949年10月1日 起算。"),
        ("DATA_PERIOD_OUT_OF_BOUNDS", "请求的数据时间段长达 46,020 天，超过了上限（最长 30 年）。"),
    ]  # fmt: skip


def test_no_sentence_carries_a_code_or_english() -> None:
    problems = [
        *_problems({VR: ("plate_no", "no_such_field"), FIRM: ("uscc",), "gone.x": ("a",)}),
        *_problems({BARE: ("y1",)}, max_uses=4_000_000_000),
        *_problems({VR: ("status",)}, not_before=NOW, not_after=NOW + 5_000 * DAY,
                   data_from="1900-01-01"),
    ]  # fmt: skip
    assert len({p.code for p in problems}) == 7
    for p in problems:
        assert re.search(r"[A-Za-z_]", p.message) is None, p
        assert p.message.endswith("。"), p
