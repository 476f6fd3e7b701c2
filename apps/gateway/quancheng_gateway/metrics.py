"""Prometheus metrics of one gateway (its own registry, so tests can run several)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["GatewayMetrics"]

_LATENCY_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)


class GatewayMetrics:
    """Queries by outcome, latency, receipts, backlog, batches and view freshness."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.queries = Counter(
            "qc_gateway_queries",
            "Queries by outcome code (OK or a refusal)",
            ["outcome"],
            registry=r,
        )
        self.latency = Histogram(
            "qc_gateway_query_seconds",
            "Query latency",
            ["outcome_class"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.receipts = Counter("qc_gateway_receipts", "Receipts committed", registry=r)
        self.commit_groups = Counter("qc_gateway_commit_groups", "Group commits", registry=r)
        self.backlog = Gauge(
            "qc_gateway_unanchored_receipts", "Receipts not anchored yet", registry=r
        )
        self.batches = Counter("qc_gateway_batches_anchored", "Batches anchored", registry=r)
        self.anchored = Counter("qc_gateway_receipts_anchored", "Receipts anchored", registry=r)
        self.view_lag = Gauge(
            "qc_gateway_view_lag_seconds",
            "Seconds since the view confirmed the chain head",
            registry=r,
        )
        self.view_block = Gauge("qc_gateway_view_block", "Last block in the view", registry=r)
        self.chain_head = Gauge("qc_gateway_chain_head", "Chain head seen", registry=r)

    def observe(self, outcome: str, seconds: float) -> None:
        self.queries.labels(outcome=outcome).inc()
        self.latency.labels(outcome_class="ok" if outcome == "OK" else "refused").observe(seconds)
