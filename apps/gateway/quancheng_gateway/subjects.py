"""The subject index: keyed pseudonym → the department's own identifier of an owner.

On chain an owner is only a keyed pseudonym (HMAC-SM3 under the identity authority's key,
shared with providers). The gateway computes the pseudonym of every subject its department
holds, so a grant's ``owner_pseudonym`` maps to the record to read; the identifiers never
leave the gateway's database.
"""

from __future__ import annotations

import logging
from itertools import islice

from sqlalchemy import Engine, Table, delete, insert

from quancheng.crypto import pseudonym
from quancheng_gateway.models import Subject
from quancheng_gateway.resources import Department
from quancheng_gateway.write_turn import turn_for

__all__ = ["build_subject_index"]

_log = logging.getLogger("quancheng_gateway.subjects")
SUBJ: Table = Subject.__table__  # type: ignore[attr-defined]
_CHUNK = 5000


def build_subject_index(
    *, engine: Engine, data_engine: Engine, department: Department, key: bytes
) -> int:
    """Rebuild the index from ``department.subjects``; returns the number of subjects.

    Call it at startup and again after the department's data was (re)loaded. The rebuild is
    one transaction: queries keep seeing the previous index until it commits.
    """
    count = 0
    # A rebuild under load takes its turn at the write lock as the hot writers do (write_turn).
    with turn_for(engine)(), data_engine.connect() as data, engine.begin() as conn:
        conn.execute(delete(SUBJ))
        subjects = iter(department.subjects(data))
        while chunk := list(islice(subjects, _CHUNK)):
            rows = {
                "0x" + pseudonym(key, kind, ident).hex(): (kind, ident) for kind, ident in chunk
            }
            conn.execute(
                insert(SUBJ),
                [{"pseudonym": p, "id_kind": k, "subject_id": i} for p, (k, i) in rows.items()],
            )
            count += len(rows)
    _log.info("subject index rebuilt: %d subjects", count)
    return count
