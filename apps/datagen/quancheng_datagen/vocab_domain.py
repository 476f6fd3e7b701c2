"""Domain vocabularies: vehicles, traffic offences, diagnoses, industries, penalties.

Figures (fines, points, prices, rates) are rounded to plausible values of recent years;
they make the records believable, they are not a statement of current regulations.
"""

from __future__ import annotations

from typing import NamedTuple


class VehicleModel(NamedTuple):
    brand: str
    model: str
    wmi: str  # world manufacturer identifier (VIN 1-3) of the maker's Chinese joint venture
    vehicle_type: str
    energy: str  # 汽油 / 纯电动 / 插电式混合动力
    weight: float


ICE_MODELS: tuple[VehicleModel, ...] = (
    VehicleModel("大众", "朗逸", "LSV", "小型轿车", "汽油", 9),
    VehicleModel("大众", "速腾", "LFV", "小型轿车", "汽油", 6),
    VehicleModel("大众", "迈腾", "LFV", "小型轿车", "汽油", 4),
    VehicleModel("丰田", "卡罗拉", "LFM", "小型轿车", "汽油", 5),
    VehicleModel("丰田", "凯美瑞", "LVG", "小型轿车", "汽油", 4),
    VehicleModel("本田", "雅阁", "LHG", "小型轿车", "汽油", 4),
    VehicleModel("本田", "思域", "LVH", "小型轿车", "汽油", 3),
    VehicleModel("日产", "轩逸", "LGB", "小型轿车", "汽油", 7),
    VehicleModel("别克", "英朗", "LSG", "小型轿车", "汽油", 5),
    VehicleModel("宝马", "3系", "LBV", "小型轿车", "汽油", 2),
    VehicleModel("奔驰", "C级", "LE4", "小型轿车", "汽油", 2),
    VehicleModel("长安", "CS75", "LS5", "小型普通客车", "汽油", 5),
    VehicleModel("哈弗", "H6", "LGW", "小型普通客车", "汽油", 7),
    VehicleModel("吉利", "帝豪", "L6T", "小型轿车", "汽油", 6),
    VehicleModel("五菱", "宏光", "LZW", "小型普通客车", "汽油", 4),
)
NEV_MODELS: tuple[VehicleModel, ...] = (
    VehicleModel("比亚迪", "秦PLUS DM-i", "LGX", "小型轿车", "插电式混合动力", 6),
    VehicleModel("比亚迪", "宋PLUS DM-i", "LGX", "小型普通客车", "插电式混合动力", 5),
    VehicleModel("比亚迪", "元PLUS", "LGX", "小型普通客车", "纯电动", 3),
    VehicleModel("特斯拉", "Model Y", "LRW", "小型普通客车", "纯电动", 3),
    VehicleModel("特斯拉", "Model 3", "LRW", "小型轿车", "纯电动", 2),
    VehicleModel("五菱", "宏光MINIEV", "LZW", "微型轿车", "纯电动", 4),
)
COLOURS: tuple[tuple[str, float], ...] = (
    ("白", 40), ("黑", 22), ("银", 12), ("灰", 12), ("红", 5), ("蓝", 6), ("绿", 1), ("棕", 2),
)
VEHICLE_STATUSES: tuple[tuple[str, float], ...] = (
    ("正常", 86), ("抵押", 10), ("查封", 1), ("报废", 2.7), ("盗抢", 0.3),
)
MORTGAGEES = (
    "中国工商银行股份有限公司济南分行", "中国建设银行股份有限公司济南分行",
    "齐鲁银行股份有限公司", "上汽通用汽车金融有限责任公司", "比亚迪汽车金融有限公司",
)

LICENCE_CLASSES: tuple[tuple[str, float], ...] = (
    ("C1", 78), ("C2", 12), ("B2", 4), ("A2", 1.5), ("A1", 1), ("B1", 1), ("D", 2.5),
)


class Offence(NamedTuple):
    description: str
    points: int
    fine_yuan: int
    weight: float


OFFENCES: tuple[Offence, ...] = (
    Offence("机动车违反规定停放、临时停车", 0, 100, 30),
    Offence("驾驶机动车违反道路交通信号灯通行", 6, 200, 8),
    Offence("驾驶机动车超过规定时速10%以上未达20%", 1, 100, 14),
    Offence("驾驶机动车超过规定时速20%以上未达50%", 6, 200, 4),
    Offence("不按导向车道行驶", 2, 100, 10),
    Offence("驾驶时拨打接听手持电话", 3, 100, 5),
    Offence("驾驶人未按规定使用安全带", 1, 50, 6),
    Offence("机动车行经人行横道未按规定减速、停车、避让行人", 3, 100, 7),
    Offence("违反禁止标线指示", 1, 100, 9),
    Offence("逾期未检验", 3, 200, 2),
)
DRINK_DRIVING = Offence("饮酒后驾驶机动车", 12, 1500, 0)
DRUNK_DRIVING = Offence("醉酒后驾驶机动车", 0, 0, 0)  # licence revoked, criminal case
ACCIDENT_KINDS = ("发生交通事故（财产损失）", "发生交通事故（人员受伤）")
RESPONSIBILITIES: tuple[tuple[str, float], ...] = (
    ("全部责任", 30), ("主要责任", 15), ("同等责任", 20), ("次要责任", 10), ("无责任", 25),
)


class Diagnosis(NamedTuple):
    icd10: str
    name: str
    cost_low: int  # yuan
    cost_high: int


OUTPATIENT_DIAGNOSES: tuple[Diagnosis, ...] = (
    Diagnosis("I10", "原发性高血压", 120, 900),
    Diagnosis("E11.9", "2型糖尿病不伴有并发症", 150, 1200),
    Diagnosis("J06.9", "急性上呼吸道感染", 60, 600),
    Diagnosis("K29.7", "胃炎", 80, 900),
    Diagnosis("M54.5", "腰痛", 100, 800),
    Diagnosis("J20.9", "急性支气管炎", 80, 700),
    Diagnosis("N39.0", "泌尿道感染", 90, 700),
    Diagnosis("M17.9", "膝关节病", 120, 1500),
    Diagnosis("I25.1", "动脉粥样硬化性心脏病", 200, 2000),
)
INPATIENT_DIAGNOSES: tuple[Diagnosis, ...] = (
    Diagnosis("J18.9", "肺炎", 6000, 25000),
    Diagnosis("I63.9", "脑梗死", 12000, 60000),
    Diagnosis("I21.9", "急性心肌梗死", 30000, 90000),
    Diagnosis("K35.8", "急性阑尾炎", 8000, 20000),
    Diagnosis("K80.2", "胆囊结石不伴有胆囊炎", 12000, 30000),
    Diagnosis("S72.0", "股骨颈骨折", 35000, 80000),
    Diagnosis("H25.9", "老年性白内障", 5000, 12000),
    Diagnosis("J44.1", "慢性阻塞性肺病伴有急性加重", 9000, 30000),
    Diagnosis("I50.9", "心力衰竭", 10000, 40000),
    Diagnosis("O80.0", "单胎顺产", 4000, 9000),
    Diagnosis("C34.9", "支气管或肺恶性肿瘤", 40000, 160000),
    Diagnosis("C16.9", "胃恶性肿瘤", 40000, 140000),
    Diagnosis("C50.9", "乳房恶性肿瘤", 35000, 120000),
)


class DeathCause(NamedTuple):
    category: str
    icd10: str
    inpatient: Diagnosis | None  # the final hospital stay, when death follows one
    weight_young: float  # under 60
    weight_old: float


_INPATIENT = {d.icd10: d for d in INPATIENT_DIAGNOSES}
DEATH_CAUSES: tuple[DeathCause, ...] = (
    DeathCause("恶性肿瘤", "C34.9", _INPATIENT["C34.9"], 25, 22),
    DeathCause("恶性肿瘤", "C16.9", _INPATIENT["C16.9"], 10, 9),
    DeathCause("心脑血管疾病", "I63.9", _INPATIENT["I63.9"], 12, 24),
    DeathCause("心脑血管疾病", "I21.9", _INPATIENT["I21.9"], 12, 16),
    DeathCause("呼吸系统疾病", "J44.1", _INPATIENT["J44.1"], 3, 14),
    DeathCause("其他疾病", "I50.9", _INPATIENT["I50.9"], 6, 9),
    DeathCause("交通事故", "V89.2", None, 18, 3),
    DeathCause("其他意外伤害", "W19", None, 14, 3),
)
DEATH_PLACES: tuple[tuple[str, float], ...] = (("医疗机构", 62), ("家中", 33), ("其他", 5))


class Industry(NamedTuple):
    code: str  # GB/T 4754-2017 section
    name: str
    trade_words: tuple[str, ...]  # 行业 part of a company name
    vat_rate: float  # general VAT taxpayers
    value_added: float  # share of sales that is value added (for the VAT actually due)
    weight: float


INDUSTRIES: tuple[Industry, ...] = (
    Industry("C", "制造业", ("机械设备", "食品", "新材料", "精密制造", "包装制品"), 0.13, 0.25, 14),
    Industry("E", "建筑业", ("建筑工程", "装饰工程", "市政工程"), 0.09, 0.30, 10),
    Industry("F", "批发和零售业", ("商贸", "贸易", "医疗器械", "农产品"), 0.13, 0.12, 30),
    Industry("G", "交通运输、仓储和邮政业", ("物流", "运输", "供应链"), 0.09, 0.30, 6),
    Industry("H", "住宿和餐饮业", ("餐饮管理", "酒店管理", "餐饮"), 0.06, 0.45, 9),
    Industry("I", "信息传输、软件和信息技术服务业", ("信息技术", "软件", "网络科技"),
             0.06, 0.60, 10),
    Industry("L", "租赁和商务服务业", ("企业管理咨询", "人力资源", "广告"), 0.06, 0.55, 9),
    Industry("M", "科学研究和技术服务业", ("检测技术", "工程设计", "生物科技"), 0.06, 0.55, 5),
    Industry("O", "居民服务、修理和其他服务业", ("家政服务", "汽车维修", "美容美发"),
             0.06, 0.50, 7),
)

TRADE_NAME_CHARS = (
    "泉顺鲁信华联明湖舜耕鑫泰恒通盛源瑞丰隆昌宏达金桥佳禾博远汇川齐润德润海纳"
    "启航宇辰嘉和天诚中兴正阳新程广源众合久安祥和永盛亿达晟睿锦程泰山趵突"
)


class PenaltyKind(NamedTuple):
    violation: str
    penalty: str
    fine_low: int  # yuan
    fine_high: int
    confiscates: bool


PENALTIES: tuple[PenaltyKind, ...] = (
    PenaltyKind("销售不符合食品安全标准的食品", "没收违法所得、罚款", 5000, 50000, True),
    PenaltyKind("发布虚假广告", "罚款", 10000, 100000, False),
    PenaltyKind("销售不合格产品", "没收违法所得、罚款", 3000, 30000, True),
    PenaltyKind("未按规定明码标价", "警告、罚款", 500, 5000, False),
    PenaltyKind("使用未经检定的计量器具", "罚款", 1000, 10000, False),
    PenaltyKind("经营超过保质期的食品", "没收违法所得、罚款", 2000, 20000, True),
    PenaltyKind("未按规定办理变更登记", "警告", 0, 0, False),
)
REVOCATION = PenaltyKind("开业后自行停业连续六个月以上", "吊销营业执照", 0, 0, False)
