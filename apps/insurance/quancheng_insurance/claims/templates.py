"""The grants an insurer asks a claimant for, one per kind of claim (政保通 / 保医通).

Each template names the purpose, the mode and exactly the fields the decision reads, so a
claimant authorizes no more than the claim needs.  ``period_days`` is the data period to
request, ending on the day of the request (it should cover the accident or the policy term).
"""

from __future__ import annotations

from quancheng.protocol import GrantMode, Purpose
from quancheng_appkit.decision import GrantTemplate, grant_template
from quancheng_insurance.claims import life, medical, motor
from quancheng_insurance.departments import jinan_civil, jinan_hsa, jinan_vmo

GRANT_TEMPLATES: dict[str, GrantTemplate] = {
    t.key: t
    for t in (
        grant_template(
            motor.KIND,
            "机动车商业保险理赔",
            Purpose.MOTOR_CLAIM,
            GrantMode.RAW,
            365,
            [
                (jinan_vmo.registration, motor.NEEDS[motor.REGISTRATION]),
                (jinan_vmo.licence, motor.NEEDS[motor.LICENCE]),
                (jinan_vmo.violation, motor.NEEDS[motor.VIOLATION]),
            ],
        ),
        grant_template(
            life.KIND,
            "寿险身故理赔",
            Purpose.LIFE_CLAIM,
            GrantMode.RAW,
            365,
            [
                (jinan_civil.death, life.NEEDS[life.DEATH]),
            ],
        ),
        grant_template(
            medical.KIND,
            "商业医疗保险理赔",
            Purpose.MEDICAL_CLAIM,
            GrantMode.RAW,
            365,
            [(jinan_hsa.settlement, medical.NEEDS[medical.SETTLEMENT])],
        ),
    )
}
