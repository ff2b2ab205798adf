"""The days one DAG run covers.

A run's partition key names its first day. A daily run covers that day only; a *batch run*
(a backfill) covers consecutive days through ``through``: the ingest run gets it in its conf
(``{"through": "2013-01-31"}``) and passes it on in the extra of every asset event it emits, so
the transform and publish runs of the same key cover the same days. Every task of a batch
does its work once for the whole range (one bulk load per source, one statement per model,
one scan per gate), and every check keeps its per-day meaning: it fails if any one day of the
range would fail it alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

THROUGH = "through"  # the key of the last day, in a run's conf and in its asset events' extra


@dataclass(frozen=True)
class Days:
    first: str
    last: str

    def __post_init__(self) -> None:
        first, last = dt.date.fromisoformat(self.first), dt.date.fromisoformat(self.last)
        if last < first:
            raise ValueError(f"the last day {self.last} is before the first day {self.first}")
        # Normalized, because both are spliced into SQL and compared as text.
        object.__setattr__(self, "first", first.isoformat())
        object.__setattr__(self, "last", last.isoformat())

    @classmethod
    def one(cls, day: str) -> Days:
        return cls(day, day)

    @property
    def keys(self) -> list[str]:
        first = dt.date.fromisoformat(self.first)
        return [(first + dt.timedelta(days=i)).isoformat() for i in range(len(self))]

    def __len__(self) -> int:
        return (dt.date.fromisoformat(self.last) - dt.date.fromisoformat(self.first)).days + 1

    @property
    def label(self) -> str:
        """``2013-01-05`` for one day, ``2013-01-01..2013-01-31`` for a batch."""
        return self.first if self.first == self.last else f"{self.first}..{self.last}"

    def params(self) -> dict[str, str]:
        """The bind parameters of every range-scoped statement."""
        return {"first_day": self.first, "last_day": self.last}

    def event_extra(self) -> dict[str, str]:
        """What an asset event says about the days it certifies (read back by ``of_run``)."""
        return {"partition": self.first, THROUGH: self.last}


def partition_key(context: Any) -> str:
    """The run's partition key (YYYY-MM-DD): its first day."""
    key = getattr(context["dag_run"], "partition_key", None)
    if not key:
        raise ValueError(
            "this DAG run has no partition key: trigger it with one, e.g. "
            'POST /api/v2/dags/ingest/dagRuns {"logical_date": null, "partition_key": "2013-01-05"}'
        )
    dt.date.fromisoformat(key)  # fail fast on a malformed key
    return str(key)


def of_run(context: Any) -> Days:
    """The days of the run in ``context``: from its conf (an ingest run triggered as a batch) or
    from the asset events that triggered it (transform, publish). Each event certifies that its
    days passed the upstream gates; the run covers the longest range they name."""
    first = partition_key(context)
    through = [(getattr(context["dag_run"], "conf", None) or {}).get(THROUGH)]
    events = context.get("triggering_asset_events") or {}
    for refs in events.values():
        for ref in refs:
            extra = getattr(ref, "extra", None) or {}
            if extra.get("partition", first) == first:
                through.append(extra.get(THROUGH))
    return Days(first, max((t for t in through if t), default=first))
