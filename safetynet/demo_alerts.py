"""What the demo adds for alerts: one late source, and where the alerts went."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from integrations.config import SourceConfig
from safetynet.pipeline import delivery_files
from warehouse import Warehouse

#: the demo's late source: its delivery is stamped older than its cadence, so it is overdue
DEMO_LATE_SOURCE = "alameda_so"


def make_late(source: SourceConfig, landing: Path, today: date) -> str | None:
    """Re-stamp the source's staged delivery ``cadence + 2`` days back (an export that stopped)."""
    files = delivery_files(source, landing)
    if not files:
        return None
    stamp = today.strftime("%Y%m%d")
    old = (today - timedelta(days=source.cadence_days + 2)).strftime("%Y%m%d")
    newest = files[-1]
    if stamp in newest.name:
        target = newest.with_name(newest.name.replace(stamp, old))
        if target.exists():
            newest.unlink()  # staged by an earlier demo run already
        else:
            newest.rename(target)
    return old


def alerts_summary(warehouse: Warehouse, transport: str) -> str:
    from alerts.ledger import messages_frame

    frame = messages_frame(warehouse.engine)
    if frame.empty:
        return f"alerts: none ({transport})"
    counts = frame.groupby(["category", "kind"]).size()
    parts = [f"{n} {cat}{' resolved' if kind == 'resolved' else ''}" for (cat, kind), n in counts.items()]
    pending = int((frame["status"] == "pending").sum())
    return (
        f"alerts: {len(frame)} message(s) to {frame['recipient'].nunique()} contact(s) "
        f"({', '.join(parts)}); {pending} pending; sent via {transport}"
    )
