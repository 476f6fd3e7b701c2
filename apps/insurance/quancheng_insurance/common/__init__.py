"""What the insurance and the finance apps share (``quancheng_finance`` imports it).

- the department plug-in kit: :mod:`.plugin` (the gateway framework's interface),
  :mod:`.window` (data periods in CST), :mod:`.resource` (SQL-backed resources and
  departments), :mod:`.indicators` (building blocks of DERIVED indicators);
- the decision kit: :mod:`.decision` (outcomes, reasons, evidence, grant templates);
- :mod:`.errors`, under the project's one exception root.
"""
