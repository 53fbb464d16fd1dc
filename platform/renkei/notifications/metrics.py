"""What operations watch of deliveries: how many, by channel and outcome, and how long they wait."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

# channel: email | webhook; outcome: sent | retried | failed | skipped (already delivered).
DELIVERIES = Counter(
    "renkei_deliveries_total",
    "Deliveries of notifications and events, by channel and outcome",
    ["channel", "outcome"],
)
# From the outbox message's creation to its handling: how far the worker lags behind.
QUEUE_AGE = Histogram(
    "renkei_outbox_age_seconds",
    "Seconds from an outbox message's creation to its handling",
    ["topic"],
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 21600, 86400),
)
