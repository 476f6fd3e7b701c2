"""What the demo prints: each step as it happens, then a summary a claims officer, a loan
officer and an auditor can read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table

_OUTCOME = {"APPROVE": "[green]通过[/]", "REFER": "[yellow]转人工[/]", "REJECT": "[red]拒绝[/]"}


@dataclass
class Report:
    """Collects the demo's results and prints them."""

    console: Console
    decisions: list[tuple[str, str, Any]] = field(default_factory=list)
    refusals: list[tuple[str, str, bool]] = field(default_factory=list)
    proofs: list[tuple[Any, Any]] = field(default_factory=list)
    steps: int = 0
    audit_passed: bool | None = None

    def step(self, text: str) -> None:
        self.steps += 1
        self.console.print(f"[bold cyan]{self.steps:>2}.[/] {text}")

    def decision(self, kind: str, subject: str, decision: Any) -> None:
        self.decisions.append((kind, subject, decision))
        reasons = "；".join(r["text"] for r in decision.reasons[:2])
        self.console.print(
            f"    {kind}  {subject}: {_OUTCOME[str(decision.outcome)]} "
            f"{decision.amount_fen / 100:,.2f} 元  ({decision.elapsed_ms:.0f} ms, "
            f"{len(decision.receipt_ids)} 张回执)  {reasons}"
        )

    def refusal(self, what: str, code: str, *, ok: bool) -> None:
        self.refusals.append((what, code, ok))
        mark = "[green]✓ 已拒绝[/]" if ok else "[red]✗ 未按预期拒绝[/]"
        self.console.print(f"    {what}: {mark} {code}")

    def proof(self, answer: Any, inclusion: Any) -> None:
        self.proofs.append((answer, inclusion))

    def audit(self, result: Any, workdir: Any) -> None:
        self.audit_passed = bool(result.passed)
        verdict = "[green]审计通过[/]" if result.passed else "[red]审计未通过[/]"
        self.console.print(f"    {verdict}  {result.summary}")
        for finding in result.findings[:10]:
            self.console.print(f"    {finding.line()}")
        self.console.print(f"    审计报告：{workdir / 'audit.json'}、{workdir / 'audit.html'}")

    def summary(self, seconds: float) -> None:
        table = Table(title="决策及其依据的回执", show_lines=False)
        for column in ("业务", "对象", "结论", "金额（元）", "用时", "回执"):
            table.add_column(column, no_wrap=True)
        for kind, subject, d in self.decisions:
            table.add_row(
                kind, subject, _OUTCOME[str(d.outcome)], f"{d.amount_fen / 100:,.2f}",
                f"{d.elapsed_ms:.0f} ms", f"{len(d.receipt_ids)} 张",
            )  # fmt: skip
        self.console.print(table)
        batches = {(p.batch.provider, p.batch.seq) for _, p in self.proofs}
        self.console.print(
            f"回执：{len(self.proofs)} 张，全部由网关 SM2 签名、落盘后才答复，"
            f"并已在 {len(batches)} 个批次中上链；每张的 Merkle 包含证明都与链上锚定的根一致。"
        )
        refused_ok = sum(1 for *_, ok in self.refusals if ok)
        self.console.print(
            f"拒绝：{refused_ok}/{len(self.refusals)} 次按预期拒绝，"
            "答复中没有任何数据，也没有产生回执。"
        )
        self.console.print(f"[bold]全部完成，用时 {seconds:.1f} 秒。[/]")

    @property
    def ok(self) -> bool:
        """True when every refusal happened as expected, every answer was proven and the
        audit (when it ran) passed."""
        audited = self.audit_passed is not False
        return all(ok for *_, ok in self.refusals) and bool(self.proofs) and audited
