"""The finance side's data providers, as gateway plug-ins (one module per department).

The gateway framework loads them by name, e.g. ``quancheng_finance.departments:tax``.
"""

from quancheng_finance.departments.jinan_amr import market_regulation
from quancheng_finance.departments.jinan_hpf import housing_fund
from quancheng_finance.departments.jinan_hrss import social_security
from quancheng_finance.departments.jinan_tax import tax
from quancheng_finance.departments.jinan_utilities import utilities

#: Every department of this package.
DEPARTMENTS = (tax, social_security, housing_fund, utilities, market_regulation)

__all__ = [
    "DEPARTMENTS",
    "housing_fund",
    "market_regulation",
    "social_security",
    "tax",
    "utilities",
]
