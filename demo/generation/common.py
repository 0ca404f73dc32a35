"""Helpers of the generator: calendar, weighted draws, exact splits, numbering of rows."""

import bisect
import datetime
import itertools
import random
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.services import format_reference
from demo import figures
from demo.services import advance_sequence, id_sequence, next_value, reference_sequence
from hazards.services import AREA_TOLERANCE_M2

YEARS = tuple(range(figures.FIRST_YEAR, figures.LAST_YEAR + 1))
EPOCH = datetime.date(figures.FIRST_YEAR, 1, 1)
# Day numbers count from EPOCH; END is the last day of generated events.
END = (datetime.date(figures.LAST_YEAR, 12, 31) - EPOCH).days
YEAR_START = {year: (datetime.date(year, 1, 1) - EPOCH).days for year in (*YEARS, figures.LAST_YEAR + 1)}
# Records reach the database some days after the event, never after this day.
LAST_STAMP = END + 45
DAY_ISO = [(EPOCH + datetime.timedelta(days=d)).isoformat() for d in range(LAST_STAMP + 1)]
# Office hours in Bamako (UTC+0): when records are typed and approved.
OFFICE_TIMES = [f"{h:02d}:{m:02d}:00+00" for h in range(8, 18) for m in range(60)]
CLOCK = [f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)]
# What the last release of a hazard leaves: under the services' tolerance, so that the hazard
# closes, and enough that sums rounded differently can never release more than the area.
FINAL_MARGIN_M2 = AREA_TOLERANCE_M2 / 5

APPROVED = "approved"
# Explosive remnants of war, as the Landmine Monitor groups them.
ERW = frozenset({"uxo", "axo"})


class Weighted:
    """Draws keys in proportion to their weights: one random() and one bisect per draw."""

    def __init__(self, weights: Mapping[Hashable, float]) -> None:
        items = [(key, weight) for key, weight in weights.items() if weight > 0]
        self.keys = [key for key, _ in items]
        self.cumulative = list(itertools.accumulate(weight for _, weight in items))
        self.total = self.cumulative[-1]

    def draw(self, random_: Callable[[], float]) -> Any:
        return self.keys[bisect.bisect(self.cumulative, random_() * self.total)]


def allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Splits `total` in proportion to `weights` exactly (largest remainders, ties by position)."""
    weight_sum = sum(weights)
    raw = [total * w / weight_sum for w in weights]
    counts = [int(x) for x in raw]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - raw[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def spread(rng: random.Random, total: int, weights: Sequence[float]) -> list[int]:
    """Indices of `weights`, each repeated its exact share of `total`, in random order."""
    sequence = [i for i, count in enumerate(allocate(total, weights)) for _ in range(count)]
    rng.shuffle(sequence)
    return sequence


def dated(rng: random.Random, total: int, year_weights: Mapping[int, float]) -> list[int]:
    """`total` day numbers, in date order, split over the years by `year_weights`."""
    days: list[int] = []
    for year, count in zip(YEARS, allocate(total, [year_weights[y] for y in YEARS]), strict=True):
        start, length = YEAR_START[year], YEAR_START[year + 1] - YEAR_START[year]
        days.extend(sorted(start + int(rng.random() * length) for _ in range(count)))
    return days


def workflow_status(r: float, day: int) -> str:
    """Old reports are nearly all approved; the last weeks' are still in the workflow."""
    if END - day < 75:
        return "approved" if r < 0.5 else "submitted" if r < 0.8 else "draft" if r < 0.95 else "rejected"
    return "approved" if r < 0.93 else "rejected" if r < 0.96 else "submitted" if r < 0.99 else "draft"


def array_literal(values: Sequence[str]) -> str:
    return "{" + ",".join(values) + "}"


@dataclass(frozen=True)
class Region:
    id: int
    pcode: str
    name: str


class Table:
    """One table being loaded: its first id and first reference number, taken from the sequences."""

    def __init__(self, name: str, prefix: str | None = None) -> None:
        self.name = name
        self.prefix = prefix
        self.id_sequence = id_sequence(name)
        self.first_id = next_value(self.id_sequence)
        self.first_number = next_value(reference_sequence(prefix)) if prefix else 0
        self.count = 0

    def reference(self, k: int) -> str:
        return format_reference(self.prefix, self.first_number + k)

    def close(self, count: int) -> None:
        self.count = count
        if count:
            advance_sequence(self.id_sequence, self.first_id + count - 1)
            if self.prefix:
                advance_sequence(reference_sequence(self.prefix), self.first_number + count - 1)
