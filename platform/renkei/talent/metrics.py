"""What operations watch of the warm matching engine: how far it drifted, how often verified."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

# Needs whose proposals the warm engine had wrong at the last nightly rebuild (0: no drift).
ENGINE_DRIFT = Gauge(
    "renkei_talent_engine_drift_needs",
    "Needs whose warm proposals differed from a fresh engine's at the last nightly rebuild",
)
ENGINE_REBUILDS = Counter(
    "renkei_talent_engine_rebuilds_total",
    "Nightly rebuilds of the warm matching engine (its state verified against the database)",
)
# Messages that change the engine's inputs, by path: warm (on the holder's engine), cold (the
# engine rebuilt from the database for one message: slow, a regression when it grows), and
# forwarded (routed or sent on to the holder's queue by a worker that does not hold it).
ENGINE_MESSAGES = Counter(
    "renkei_talent_engine_messages_total",
    "Outbox messages that change the matching engine's inputs, by path (warm, cold, forwarded)",
    ["path"],
)
