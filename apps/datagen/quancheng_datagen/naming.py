"""Names of market entities: 济南 + 字号 + 行业 + 组织形式, as the registry spells them."""

from __future__ import annotations

from collections.abc import Callable

from quancheng_datagen.vocab_domain import TRADE_NAME_CHARS, Industry
from quancheng_datagen.vocab_places import District

_TRADE_WORDS = tuple(TRADE_NAME_CHARS[i : i + 2] for i in range(0, len(TRADE_NAME_CHARS), 2))
_SHOPS = ("小吃店", "便利店", "水果店", "理发店", "五金店", "餐馆", "汽车修理部", "服装店",
          "烧烤店", "超市")
_CROPS = ("大葱", "蔬菜", "小米", "苹果", "樱桃", "花椒", "食用菌", "玫瑰")


_RESERVED = frozenset({"泉顺", "鑫泰"})  # the demo cast's firms keep their names to themselves


def _trade_name(r: Callable[[], float]) -> str:
    while True:
        if r() < 0.5:
            word = _TRADE_WORDS[int(r() * len(_TRADE_WORDS))]
        else:
            n = len(TRADE_NAME_CHARS)
            word = TRADE_NAME_CHARS[int(r() * n)] + TRADE_NAME_CHARS[int(r() * n)]
        if word not in _RESERVED:
            return word


def business_name(kind: str, scale: str, district: District, industry: Industry,
                  rep_name: str, r: Callable[[], float]) -> tuple[str, str]:
    """(registered name, entity type) of a business."""
    if kind == "individual":
        mark = ("记", "氏", "家")[int(r() * 3)]
        shop = _SHOPS[int(r() * len(_SHOPS))]
        return f"济南市{district.name}{rep_name[0]}{mark}{shop}", "个体工商户"
    if kind == "cooperative":
        crop = _CROPS[int(r() * len(_CROPS))]
        return f"济南市{district.name}{_trade_name(r)}{crop}种植专业合作社", "农民专业合作社"
    trade = industry.trade_words[int(r() * len(industry.trade_words))]
    if scale in ("中型", "大型") and r() < 0.4:
        entity = "股份有限公司（非上市、自然人投资或控股）"
        return f"济南{_trade_name(r)}{trade}股份有限公司", entity
    entity = "有限责任公司（自然人独资）" if r() < 0.3 else "有限责任公司（自然人投资或控股）"
    return f"济南{_trade_name(r)}{trade}有限公司", entity
