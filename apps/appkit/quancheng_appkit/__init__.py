"""What the apps share: departments and decisions (insurance, finance), and serving (all).

- the department plug-in kit: :mod:`.plugin` (the gateway framework's interface),
  :mod:`.window` (data periods in CST), :mod:`.resource` (SQL-backed resources and
  departments), :mod:`.indicators` (building blocks of DERIVED indicators);
- the decision kit: :mod:`.decision` (outcomes, reasons, evidence, grant templates);
- the serving kit: :mod:`.serving` (the bounds every served app reads its clients within:
  the gateways and the owner portal) and :mod:`.managed_server` (a served app as a managed
  child process, for tests, the demo and benchmarks);
- :mod:`.errors`, under the project's one exception root.
"""
