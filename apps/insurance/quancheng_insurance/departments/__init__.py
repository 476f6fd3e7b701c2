"""The insurance side's data providers, as gateway plug-ins (one module per department).

The gateway framework loads them by name, e.g. ``quancheng_insurance.departments:vehicle``.
"""

from quancheng_insurance.departments.jinan_civil import civil_affairs
from quancheng_insurance.departments.jinan_hsa import medical_insurance
from quancheng_insurance.departments.jinan_vmo import vehicle

#: Every department of this package.
DEPARTMENTS = (vehicle, civil_affairs, medical_insurance)

__all__ = ["DEPARTMENTS", "civil_affairs", "medical_insurance", "vehicle"]
