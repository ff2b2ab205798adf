"""What a check ends in (``CheckOutcome``) and what a gate raises when any check failed
(``GateFailed``): shared by the gates that produce them and the alerts that report them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from airflow.sdk.exceptions import AirflowFailException


@dataclass(frozen=True)
class CheckOutcome:
    source: str  # soda | sql_column | sql_table
    table: str
    name: str
    observed: Any
    threshold: str
    outcome: str  # pass | warn | fail

    def describe(self) -> str:
        return f"{self.table}: {self.name} — observed {self.observed!r}, expected {self.threshold}"


class GateFailed(AirflowFailException):
    """A data-quality gate stopped the partition (never retried)."""

    def __init__(self, gate: str, partition: str | None, failed: Sequence[CheckOutcome]) -> None:
        """``partition``: the day, or ``first..last`` for a batch run."""
        self.failed = list(failed)
        lines = "\n".join(f"  - {f.describe()}" for f in failed)
        super().__init__(f"gate {gate} failed for partition {partition}: {len(failed)} check(s)\n{lines}")
