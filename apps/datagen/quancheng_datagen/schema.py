"""Source-data schemas of the departments (SQLAlchemy Core), one table per dataset.

Every row carries its subject's identifier, indexed, because gateways answer per-subject
queries: ``id_number`` (18-digit resident ID) for people, ``uscc`` (unified social credit
code) for businesses, ``subject_id`` (either) for utility bills.  Money is in integer fen
(分, ``*_fen``) so that amounts are exact in SQLite and PostgreSQL alike and sign into
canonical JSON without floats.  Dates are calendar dates; times are local (UTC+8), naive.

``DEPARTMENTS`` says which tables each department holds, so a gateway creates only its own
tables in its own database (:func:`create_department_tables`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
)

from quancheng_datagen.errors import UnknownDepartmentError

metadata = MetaData()


def _id_number(primary_key: bool = False) -> Column[str]:
    return Column("id_number", String(18), primary_key=primary_key, index=not primary_key,
                  nullable=False, comment="居民身份证号码 (GB 11643)")


def _uscc(primary_key: bool = False) -> Column[str]:
    return Column("uscc", String(18), primary_key=primary_key, index=not primary_key,
                  nullable=False, comment="统一社会信用代码 (GB 32100)")


def _fen(name: str, comment: str, nullable: bool = False) -> Column[int]:
    return Column(name, BigInteger, nullable=nullable, comment=f"{comment}（分）")


# ---- 车管所 -------------------------------------------------------------------------
vehicle_registration = Table(
    "vehicle_registration", metadata,
    Column("vin", String(17), primary_key=True, comment="车辆识别代号 (GB 16735)"),
    _id_number(),
    Column("owner_name", String(32), nullable=False),
    Column("plate_no", String(10), nullable=False, unique=True, comment="号牌号码"),
    Column("plate_type", String(16), nullable=False, comment="小型汽车 / 小型新能源汽车"),
    Column("brand", String(16), nullable=False),
    Column("model", String(32), nullable=False),
    Column("vehicle_type", String(16), nullable=False, comment="车辆类型"),
    Column("energy_type", String(16), nullable=False, comment="汽油 / 纯电动 / 插电式混合动力"),
    Column("colour", String(4), nullable=False),
    Column("registration_date", Date, nullable=False, comment="初次登记日期"),
    Column("inspection_valid_until", Date, nullable=False, comment="检验有效期止"),
    Column("status", String(8), nullable=False, comment="正常 / 抵押 / 查封 / 报废 / 盗抢"),
    Column("mortgagee", String(64), nullable=True, comment="抵押权人"),
    comment="机动车登记信息",
)

driving_licence = Table(
    "driving_licence", metadata,
    _id_number(primary_key=True),
    Column("licence_no", String(18), nullable=False, unique=True,
           comment="驾驶证号（即身份证号）"),
    Column("file_no", String(12), nullable=False, unique=True, comment="档案编号"),
    Column("name", String(32), nullable=False),
    Column("licence_class", String(4), nullable=False, comment="准驾车型 C1 / C2 / B2 / A1 …"),
    Column("first_issue_date", Date, nullable=False, comment="初次领证日期"),
    Column("valid_from", Date, nullable=False),
    Column("valid_until", Date, nullable=True, comment="NULL：长期"),
    Column("status", String(8), nullable=False, comment="正常 / 暂扣 / 吊销 / 注销"),
    Column("points", Integer, nullable=False, comment="本记分周期累积记分"),
    Column("issuing_authority", String(32), nullable=False),
    comment="机动车驾驶证信息",
)

traffic_violation = Table(
    "traffic_violation", metadata,
    Column("record_no", String(20), primary_key=True),
    _id_number(),
    Column("licence_no", String(18), nullable=False, comment="refers to driving_licence"),
    Column("plate_no", String(10), nullable=True, comment="the driver's own vehicle, if any"),
    Column("occurred_at", DateTime, nullable=False),
    Column("location", String(64), nullable=False),
    Column("category", String(8), nullable=False,
           comment="一般违法 / 饮酒驾驶 / 醉酒驾驶 / 交通事故"),
    Column("description", String(64), nullable=False),
    Column("points", Integer, nullable=False),
    _fen("fine_fen", "罚款"),
    Column("blood_alcohol_mg_100ml", Integer, nullable=True, comment="drink-driving records"),
    Column("accident_responsibility", String(8), nullable=True, comment="accident records"),
    Column("status", String(8), nullable=False, comment="已处理 / 未处理"),
    comment="交通违法、酒驾醉驾与事故记录",
)

# ---- 民政 / 卫健 ---------------------------------------------------------------------
death_registration = Table(
    "death_registration", metadata,
    _id_number(primary_key=True),
    Column("name", String(32), nullable=False),
    Column("gender", String(2), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("death_date", Date, nullable=False),
    Column("death_place_type", String(8), nullable=False, comment="医疗机构 / 家中 / 其他"),
    Column("cause_category", String(16), nullable=False),
    Column("underlying_cause_icd10", String(8), nullable=False),
    Column("certificate_no", String(16), nullable=False, unique=True, comment="死亡医学证明编号"),
    Column("issuing_institution", String(64), nullable=False),
    Column("cremation_date", Date, nullable=True, comment="火化日期（民政）"),
    Column("hukou_cancelled_date", Date, nullable=True, comment="户籍注销日期"),
    comment="死亡登记",
)

# ---- 医保局 --------------------------------------------------------------------------
medical_settlement = Table(
    "medical_settlement", metadata,
    Column("settlement_no", String(20), primary_key=True),
    _id_number(),
    Column("name", String(32), nullable=False),
    Column("insurance_type", String(16), nullable=False,
           comment="职工基本医疗保险 / 城乡居民基本医疗保险"),
    Column("hospital_name", String(64), nullable=False),
    Column("hospital_level", String(4), nullable=False, comment="三级 / 二级 / 一级"),
    Column("visit_type", String(4), nullable=False, comment="门诊 / 住院"),
    Column("admission_date", Date, nullable=False, comment="outpatients: the visit day"),
    Column("discharge_date", Date, nullable=False),
    Column("settlement_date", Date, nullable=False),
    Column("icd10_code", String(8), nullable=False),
    Column("diagnosis", String(32), nullable=False),
    _fen("total_cost_fen", "医疗费总额"),
    _fen("policy_covered_fen", "政策范围内费用"),
    _fen("fund_paid_fen", "统筹基金支付"),
    _fen("catastrophic_paid_fen", "大病保险支付"),
    _fen("personal_paid_fen", "个人负担"),
    comment="基本医疗保险结算记录",
)

# ---- 税务局 --------------------------------------------------------------------------
tax_payment = Table(
    "tax_payment", metadata,
    Column("voucher_no", String(20), primary_key=True, comment="电子税票号码"),
    _uscc(),
    Column("taxpayer_name", String(64), nullable=False),
    Column("tax_type", String(16), nullable=False),
    Column("period_start", Date, nullable=False, comment="税款所属期起"),
    Column("period_end", Date, nullable=False),
    _fen("taxable_base_fen", "计税依据"),
    _fen("tax_amount_fen", "应纳税额"),
    Column("due_date", Date, nullable=False),
    Column("paid_date", Date, nullable=True),
    _fen("late_fee_fen", "滞纳金"),
    Column("status", String(8), nullable=False, comment="已缴 / 逾期缴纳 / 欠税"),
    comment="纳税（缴款）记录",
)

tax_credit_rating = Table(
    "tax_credit_rating", metadata,
    _uscc(primary_key=True),
    Column("year", Integer, primary_key=True, comment="评价年度"),
    Column("taxpayer_name", String(64), nullable=False),
    Column("rating", String(1), nullable=False, comment="A / B / M / C / D"),
    Column("score", Integer, nullable=True, comment="NULL for direct D ratings"),
    Column("published_date", Date, nullable=False),
    comment="纳税信用等级",
)

# ---- 人社局 / 公积金中心 ---------------------------------------------------------------
social_security_contribution = Table(
    "social_security_contribution", metadata,
    _id_number(primary_key=True),
    Column("period", String(6), primary_key=True, comment="费款所属期 YYYYMM"),
    Column("name", String(32), nullable=False),
    Column("contributor_type", String(8), nullable=False, comment="单位职工 / 灵活就业人员"),
    Column("employer_uscc", String(18), nullable=True, index=True),
    Column("employer_name", String(64), nullable=True),
    _fen("contribution_base_fen", "缴费基数"),
    _fen("pension_employer_fen", "养老保险单位缴纳"),
    _fen("pension_personal_fen", "养老保险个人缴纳"),
    _fen("medical_employer_fen", "医疗保险单位缴纳"),
    _fen("medical_personal_fen", "医疗保险个人缴纳"),
    _fen("unemployment_employer_fen", "失业保险单位缴纳"),
    _fen("unemployment_personal_fen", "失业保险个人缴纳"),
    _fen("injury_employer_fen", "工伤保险单位缴纳"),
    Column("status", String(4), nullable=False, comment="已缴 / 补缴 / 欠缴"),
    Column("paid_date", Date, nullable=True),
    comment="社会保险缴费记录（月度）",
)

housing_fund_contribution = Table(
    "housing_fund_contribution", metadata,
    _id_number(primary_key=True),
    Column("period", String(6), primary_key=True, comment="汇缴年月 YYYYMM"),
    Column("name", String(32), nullable=False),
    Column("account_no", String(12), nullable=False, comment="个人公积金账号"),
    Column("employer_uscc", String(18), nullable=False, index=True),
    Column("employer_name", String(64), nullable=False),
    _fen("base_fen", "缴存基数"),
    Column("rate_pct", Integer, nullable=False, comment="单位和个人缴存比例 5-12 (%)"),
    _fen("employer_amount_fen", "单位缴存额"),
    _fen("personal_amount_fen", "个人缴存额"),
    Column("status", String(4), nullable=False, comment="已缴 / 补缴 / 欠缴"),
    Column("paid_date", Date, nullable=True),
    comment="住房公积金缴存记录（月度）",
)

# ---- 水电气 ---------------------------------------------------------------------------
utility_bill = Table(
    "utility_bill", metadata,
    Column("account_no", String(16), primary_key=True, comment="户号"),
    Column("period", String(6), primary_key=True, comment="账期 YYYYMM"),
    Column("subject_id", String(18), nullable=False, index=True,
           comment="身份证号（个人）或统一社会信用代码（单位）"),
    Column("subject_type", String(4), nullable=False, comment="个人 / 单位"),
    Column("subject_name", String(64), nullable=False),
    Column("utility", String(4), nullable=False, comment="水 / 电 / 燃气"),
    Column("provider", String(32), nullable=False),
    Column("usage", Integer, nullable=False),
    Column("usage_unit", String(8), nullable=False, comment="吨 / 千瓦时 / 立方米"),
    _fen("amount_fen", "应缴金额"),
    Column("due_date", Date, nullable=False),
    Column("paid_date", Date, nullable=True),
    Column("status", String(8), nullable=False, comment="按时缴费 / 逾期缴费 / 欠费"),
    comment="水电气缴费记录（月度）",
)

# ---- 市场监管局 ------------------------------------------------------------------------
business_registration = Table(
    "business_registration", metadata,
    _uscc(primary_key=True),
    Column("name", String(64), nullable=False),
    Column("entity_type", String(32), nullable=False),
    Column("legal_rep_id_number", String(18), nullable=False, index=True),
    Column("legal_rep_name", String(32), nullable=False),
    _fen("registered_capital_fen", "注册资本（个体：资金数额）"),
    Column("established_date", Date, nullable=False),
    Column("business_term_until", Date, nullable=True, comment="营业期限至；NULL：长期"),
    Column("status", String(4), nullable=False, comment="存续 / 注销 / 吊销"),
    Column("status_date", Date, nullable=True, comment="注销或吊销日期"),
    Column("registration_authority", String(32), nullable=False),
    Column("division_code", String(6), nullable=False),
    Column("address", String(96), nullable=False),
    Column("industry_code", String(1), nullable=False, comment="GB/T 4754 门类"),
    Column("industry", String(32), nullable=False),
    Column("scale", String(4), nullable=False, comment="微型 / 小型 / 中型 / 大型"),
    Column("phone", String(16), nullable=False),
    comment="市场主体登记信息",
)

administrative_penalty = Table(
    "administrative_penalty", metadata,
    Column("decision_no", String(40), primary_key=True, comment="行政处罚决定书文号"),
    _uscc(),
    Column("party_name", String(64), nullable=False),
    Column("decision_date", Date, nullable=False),
    Column("violation", String(64), nullable=False, comment="违法行为"),
    Column("penalty", String(32), nullable=False, comment="处罚种类"),
    _fen("fine_fen", "罚款金额"),
    _fen("confiscated_fen", "没收违法所得"),
    Column("authority", String(32), nullable=False),
    Column("status", String(4), nullable=False, comment="已履行 / 未履行"),
    comment="行政处罚信息",
)


@dataclass(frozen=True)
class Department:
    """A data provider and the tables its gateway serves."""

    key: str
    name: str
    tables: tuple[str, ...]


DEPARTMENTS: dict[str, Department] = {
    d.key: d
    for d in (
        Department("vehicle", "济南市公安局交通警察支队车辆管理所",
                   ("vehicle_registration", "driving_licence", "traffic_violation")),
        Department("civil_affairs", "济南市民政局 / 济南市卫生健康委员会", ("death_registration",)),
        Department("medical_insurance", "济南市医疗保障局", ("medical_settlement",)),
        Department("tax", "国家税务总局济南市税务局", ("tax_payment", "tax_credit_rating")),
        Department("social_security", "济南市人力资源和社会保障局",
                   ("social_security_contribution",)),
        Department("housing_fund", "济南住房公积金中心", ("housing_fund_contribution",)),
        Department("utilities", "水电气（济南水务、国网济南供电、港华燃气）", ("utility_bill",)),
        Department("market_regulation", "济南市市场监督管理局",
                   ("business_registration", "administrative_penalty")),
    )
}


def department(key: str) -> Department:
    """The department called ``key`` (see ``DEPARTMENTS``)."""
    try:
        return DEPARTMENTS[key]
    except KeyError:
        raise UnknownDepartmentError(key, tuple(DEPARTMENTS)) from None


def department_tables(key: str) -> list[Table]:
    """The SQLAlchemy tables of a department, in creation order."""
    return [metadata.tables[name] for name in department(key).tables]


def create_department_tables(engine: Engine, key: str) -> list[Table]:
    """Create (if missing) the tables of one department in ``engine``'s database."""
    tables = department_tables(key)
    metadata.create_all(engine, tables=tables)
    return tables
