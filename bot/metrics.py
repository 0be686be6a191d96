"""Counters for /metrics, incremented where things happen (poller, sender, sweeps, webhook).

`Metrics` does nothing (the web is off: no cost beyond a method call); `Prometheus` counts into a
CollectorRegistry of its own (never prometheus-client's global one, so tests and two apps in one
process do not clash) and renders the text format. Gauges (backlogs, reports by state and tier,
overdue) are set from store reads at scrape time (handlers/web/metrics.py). No label carries
personal data: Bot API method names, outcomes, sweep names, report states and tiers only.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# The outcomes of one Bot API call by the sender.
OUTCOMES = ("ok", "429", "403", "error")


class Metrics:
    """The web is off: every call is a no-op."""

    last_sweep: datetime | None = None  # when the last sweep pass ended

    def received(self, count: int = 1) -> None:
        """COUNT new updates were stored in the inbox (polling or webhook)."""

    def processed(self) -> None:
        """One update was processed and marked done."""

    def failed(self) -> None:
        """One attempt at an update failed (a handler raised)."""

    def sent(self, method: str, outcome: str) -> None:
        """The sender made one Bot API call METHOD; OUTCOME is one of OUTCOMES."""

    def swept(self, name: str, seconds: float) -> None:
        """The sweep NAME ran for SECONDS."""

    def pass_ended(self, at: datetime) -> None:
        self.last_sweep = at

    def refused(self, status: int) -> None:
        """The web app's guard answered one request STATUS (429 or 503) unserved."""


class Prometheus(Metrics):
    """Counts into its own registry; render() is the /metrics body."""

    def __init__(self) -> None:
        self.refreshing = asyncio.Lock()  # one gauge refresh at a time (handlers/web/metrics.py)
        self.refreshed_at = float("-inf")  # time.monotonic() of the last refresh
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.updates_received = Counter(
            "griddesk_updates_received", "Updates stored in the inbox", registry=r
        )
        self.updates_processed = Counter(
            "griddesk_updates_processed", "Updates processed and marked done", registry=r
        )
        self.updates_failed = Counter(
            "griddesk_updates_failed", "Failed attempts at processing an update", registry=r
        )
        self.messages_sent = Counter(
            "griddesk_messages_sent",
            "Bot API calls made by the sender, by method and outcome",
            ["method", "outcome"],
            registry=r,
        )
        self.web_refused = Counter(
            "griddesk_web_refused",
            "Web requests held back by the guard: 429 (a client over its rate), 503 (busy)",
            ["status"],
            registry=r,
        )
        self.sweep_seconds = Histogram(
            "griddesk_sweep_duration_seconds",
            "How long each sweep ran",
            ["sweep"],
            buckets=(0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0),
            registry=r,
        )
        self.inbox_backlog = Gauge(
            "griddesk_inbox_backlog", "Updates stored but not yet processed", registry=r
        )
        self.inbox_age = Gauge(
            "griddesk_inbox_oldest_age_seconds", "Age of the oldest unprocessed update", registry=r
        )
        self.outbox_backlog = Gauge(
            "griddesk_outbox_backlog", "Messages queued but not yet sent", registry=r
        )
        self.outbox_age = Gauge(
            "griddesk_outbox_oldest_age_seconds", "Age of the oldest unsent message", registry=r
        )
        self.reports = Gauge(
            "griddesk_reports", "Reports by state and tier", ["state", "tier"], registry=r
        )
        self.overdue = Gauge(
            "griddesk_reports_overdue", "Open or accepted reports past their deadline", registry=r
        )
        self.database_up = Gauge(
            "griddesk_database_up", "1 when the last scrape could read the database", registry=r
        )
        self.last_sweep_age = Gauge(
            "griddesk_sweep_last_pass_age_seconds", "Seconds since the last sweep pass", registry=r
        )

    def received(self, count: int = 1) -> None:
        if count:
            self.updates_received.inc(count)

    def processed(self) -> None:
        self.updates_processed.inc()

    def failed(self) -> None:
        self.updates_failed.inc()

    def sent(self, method: str, outcome: str) -> None:
        self.messages_sent.labels(method, outcome if outcome in OUTCOMES else "error").inc()

    def swept(self, name: str, seconds: float) -> None:
        self.sweep_seconds.labels(name).observe(seconds)

    def refused(self, status: int) -> None:
        self.web_refused.labels(str(status)).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
