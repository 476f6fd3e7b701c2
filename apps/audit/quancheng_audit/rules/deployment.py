"""Deployment: the contracts at the manifest's addresses are the audited build, correctly wired.

Every other rule reads events the contracts emitted and trusts that the contracts enforce
what the project's sources say. This rule re-proves that from the evidence: the runtime code
read at each address is the build's (``contracts/build/quancheng.json``, immutables masked),
and each contract names the manifest's other contracts, deployer and voting period, including
the one ledger the grant registry accepts uses from. A deployer who deployed other code, or
bound a rogue ledger that could record uses for any provider, is found here.

Evidence saved before the code was collected has no ``deployment``: nothing is checked then
(``checked["deployment"]`` stays 0).
"""

from __future__ import annotations

from quancheng_audit.context import Context
from quancheng_audit.findings import Finding, Subject
from quancheng_node.deployed import MismatchKind, check_deployment

__all__ = ["check_deployed_contracts"]

_CODES = {
    MismatchKind.CODE: "DEPLOYMENT_CODE_MISMATCH",
    MismatchKind.WIRING: "DEPLOYMENT_WIRING_MISMATCH",
}


def check_deployed_contracts(ctx: Context) -> None:
    """DEPLOYMENT_CODE_MISMATCH and DEPLOYMENT_WIRING_MISMATCH over the deployment's contracts."""
    deployment = ctx.chain.deployment
    if deployment is None:
        return
    artifacts = ctx.artifacts
    ctx.checked["deployment"] += len(artifacts.contracts)
    for m in check_deployment(deployment.code, deployment.claims, artifacts):
        ctx.add(
            Finding.of(
                _CODES[m.kind],
                Subject(kind="contract", contract=m.contract),
                m.line(),
                expected=m.expected,
                found=m.found,
            )
        )
