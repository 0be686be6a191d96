"""bot/metrics.py: the no-op counters and the Prometheus text they render."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import Metrics, Prometheus


def samples(metrics: Prometheus) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_counters_render_with_their_labels() -> None:
    metrics = Prometheus()
    metrics.received(3)
    metrics.received(0)
    metrics.processed()
    metrics.processed()
    metrics.failed()
    metrics.sent("sendMessage", "ok")
    metrics.sent("sendMessage", "429")
    metrics.sent("sendPhoto", "403")
    metrics.sent("editMessageText", "something else")  # unknown outcomes count as errors
    metrics.swept("report_deadlines", 0.02)
    found = samples(metrics)
    assert found[("griddesk_updates_received_total", ())] == 3
    assert found[("griddesk_updates_processed_total", ())] == 2
    assert found[("griddesk_updates_failed_total", ())] == 1
    sent = "griddesk_messages_sent_total"
    assert found[(sent, (("method", "sendMessage"), ("outcome", "ok")))] == 1
    assert found[(sent, (("method", "sendMessage"), ("outcome", "429")))] == 1
    assert found[(sent, (("method", "sendPhoto"), ("outcome", "403")))] == 1
    assert found[(sent, (("method", "editMessageText"), ("outcome", "error")))] == 1
    sweep = (("sweep", "report_deadlines"),)
    assert found[("griddesk_sweep_duration_seconds_count", sweep)] == 1
    assert found[("griddesk_sweep_duration_seconds_sum", sweep)] == 0.02


def test_two_registries_do_not_clash() -> None:
    first, second = Prometheus(), Prometheus()  # the global registry would raise here
    first.processed()
    assert samples(first)[("griddesk_updates_processed_total", ())] == 1
    assert samples(second)[("griddesk_updates_processed_total", ())] == 0


def test_the_web_off_costs_nothing_and_keeps_the_last_pass() -> None:
    metrics = Metrics()
    metrics.received(5)
    metrics.processed()
    metrics.failed()
    metrics.sent("sendMessage", "ok")
    metrics.swept("echo", 1.0)
    assert not hasattr(metrics, "registry")
    at = datetime(2026, 11, 24, tzinfo=UTC)
    metrics.pass_ended(at)
    assert metrics.last_sweep == at
