"""What the insurance and the finance apps share: their departments and their services.

- the department plug-in kit: :mod:`.plugin` (the gateway framework's interface),
  :mod:`.window` (data periods in CST), :mod:`.resource` (SQL-backed resources and
  departments), :mod:`.indicators` (building blocks of DERIVED indicators);
- the decision kit: :mod:`.decision` (outcomes, reasons, evidence, grant templates);
- :mod:`.errors`, under the project's one exception root.
"""
