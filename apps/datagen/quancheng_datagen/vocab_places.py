"""Places of Jinan: districts and counties, roads, housing estates, hospitals.

Division codes are those of GB/T 2260 in force since Laiwu was merged into Jinan (2019):
ten districts and two counties.  Population weights are rounded census figures (万人),
used only to make the districts' shares plausible.
"""

from __future__ import annotations

from typing import NamedTuple


class District(NamedTuple):
    """One county-level division of Jinan."""

    code: str
    name: str
    short: str  # as in penalty decision numbers (济历下市监罚…)
    population: int  # 万人, approximate
    roads: tuple[str, ...]
    local_hospital: str
    local_hospital_level: str


DISTRICTS: tuple[District, ...] = (
    District("370102", "历下区", "历下", 83,
             ("经十路", "泺源大街", "历山路", "解放路", "和平路", "文化东路", "山大路",
              "燕子山路", "千佛山路", "二环东路", "泉城路", "工业南路", "旅游路", "舜华路"),
             "济南市历下区人民医院", "二级"),
    District("370103", "市中区", "市中", 90,
             ("经四路", "经七路", "纬二路", "舜耕路", "英雄山路", "玉函路", "二环南路",
              "经十一路", "阳光新路", "郎茂山路", "六里山路", "七里山路"),
             "济南市市中区人民医院", "二级"),
    District("370104", "槐荫区", "槐荫", 66,
             ("经十路", "经六路", "张庄路", "腊山河西路", "日照路", "营市街", "纬十二路",
              "经二路", "兴福寺路", "青年东路"),
             "济南市槐荫人民医院", "二级"),
    District("370105", "天桥区", "天桥", 69,
             ("北园大街", "堤口路", "济洛路", "无影山中路", "师范路", "生产路", "历山北路",
              "蓝翔路", "明湖北路"),
             "济南市天桥区人民医院", "二级"),
    District("370112", "历城区", "历城", 136,
             ("工业北路", "花园路", "二环东路", "山大北路", "祝舜路", "荷花路", "洪家楼南路",
              "世纪大道", "凤鸣路", "唐冶西路", "华信路"),
             "济南市历城区人民医院", "二级"),
    District("370113", "长清区", "长清", 60,
             ("大学路", "经十西路", "峰山路", "清河街", "龙泉街", "芙蓉路"),
             "济南市长清区人民医院", "二级"),
    District("370114", "章丘区", "章丘", 107,
             ("山泉路", "汇泉路", "明水大街", "唐王山路", "双山大街", "绣水大街", "铁道北路"),
             "济南市章丘区人民医院", "三级"),
    District("370115", "济阳区", "济阳", 52,
             ("纬一路", "经一路", "开元大街", "济北大街", "富阳街"),
             "济南市济阳区人民医院", "二级"),
    District("370116", "莱芜区", "莱芜", 99,
             ("鲁中大街", "汶源大街", "凤城大街", "长勺路", "龙潭大街", "花园北路", "文化路"),
             "济南市莱芜人民医院", "三级"),
    District("370117", "钢城区", "钢城", 30,
             ("府前大街", "钢都大街", "九龙大街", "艾山路"),
             "济南市钢城区人民医院", "二级"),
    District("370124", "平阴县", "平阴", 34,
             ("青龙路", "榆山路", "翠屏街", "府前街", "锦东大街"),
             "平阴县人民医院", "二级"),
    District("370126", "商河县", "商河", 55,
             ("商中路", "许商街", "滨河路", "长青街", "富源街"),
             "商河县人民医院", "二级"),
)

DISTRICT_BY_CODE = {d.code: d for d in DISTRICTS}
JINAN_DIVISION_CODES = frozenset(DISTRICT_BY_CODE)

ESTATE_PREFIXES = (
    "阳光", "翠苑", "锦绣", "泉景", "鲁能", "绿地", "万科", "中海", "龙湖", "华润", "舜华",
    "泉城", "明湖", "千佛山", "泺源", "奥体", "汉峪", "燕山", "舜玉", "七里山", "英雄山",
    "山大", "洪家楼", "金鸡岭", "丁香", "玉兰", "紫薇", "和谐", "幸福", "银座", "齐鲁",
)
ESTATE_SUFFIXES = (
    "小区", "花园", "家园", "新苑", "新城", "名邸", "华庭", "雅居", "公馆", "新村", "嘉园",
)

#: Hospitals any resident may use: (name, level).
CITY_HOSPITALS: tuple[tuple[str, str], ...] = (
    ("山东大学齐鲁医院", "三级"),
    ("山东省立医院", "三级"),
    ("山东省千佛山医院", "三级"),
    ("济南市中心医院", "三级"),
    ("山东大学第二医院", "三级"),
    ("山东中医药大学附属医院", "三级"),
    ("济南市第四人民医院", "三级"),
    ("济南市第五人民医院", "三级"),
)
CHILDREN_HOSPITAL = ("济南市儿童医院", "三级")

#: 国网 / 水务 / 燃气 providers of the utilities dataset.
UTILITY_PROVIDERS = {
    "水": "济南水务集团有限公司",
    "电": "国网济南供电公司",
    "燃气": "济南港华燃气有限公司",
}

FUNERAL_HOME = "济南市殡仪馆"
TRAFFIC_POLICE = "济南市公安局交通警察支队"
MARKET_REGULATOR_CITY = "济南市市场监督管理局"
