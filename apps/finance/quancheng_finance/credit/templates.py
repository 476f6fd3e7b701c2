"""The grants a bank asks an applicant for, one per kind of credit (泉城链 + 普惠金融).

Credit decisions read DERIVED indicators only: the bank learns, for instance, that the
business paid so much tax in twelve months and never owed any, not its tax vouchers.
``period_days`` is the data period to request, ending on the day of the request.
"""

from __future__ import annotations

from quancheng.protocol import GrantMode, Purpose
from quancheng_appkit.decision import GrantTemplate, grant_template
from quancheng_finance.credit import personal, sme
from quancheng_finance.departments import jinan_amr, jinan_hpf, jinan_hrss, jinan_tax
from quancheng_finance.departments import jinan_utilities as utilities

#: Two years: "tax paid over 12/24 months" and 24 months of contribution history.
CREDIT_PERIOD_DAYS = 731

GRANT_TEMPLATES: dict[str, GrantTemplate] = {
    t.key: t
    for t in (
        grant_template(
            sme.KIND,
            "小微企业信用贷款",
            Purpose.SME_CREDIT,
            GrantMode.DERIVED,
            CREDIT_PERIOD_DAYS,
            [
                (jinan_amr.registration, sme.NEEDS[sme.REGISTRATION]),
                (jinan_amr.penalty, sme.NEEDS[sme.PENALTY]),
                (jinan_tax.rating, sme.NEEDS[sme.RATING]),
                (jinan_tax.payment, sme.NEEDS[sme.PAYMENT]),
                (jinan_hrss.employer, sme.NEEDS[sme.EMPLOYER]),
                (utilities.business, sme.NEEDS[sme.UTILITY]),
            ],
        ),
        grant_template(
            personal.KIND,
            "个人信用贷款",
            Purpose.PERSONAL_CREDIT,
            GrantMode.DERIVED,
            CREDIT_PERIOD_DAYS,
            [
                (jinan_hrss.contribution, personal.NEEDS[personal.SOCIAL]),
                (jinan_hpf.fund, personal.NEEDS[personal.FUND]),
                (utilities.household, personal.NEEDS[personal.UTILITY]),
            ],
        ),
    )
}
