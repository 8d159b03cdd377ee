"""Repetition and summary statistics: warm up, repeat, report the median and the spread."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    """Repeated measurements of one quantity; ``values`` are in ``unit``."""

    values: tuple[float, ...]
    unit: str

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def spread(self) -> float:
        """Half the min-max range, relative to the median (0.05 means +-5 %)."""
        if len(self.values) < 2 or not self.median:
            return 0.0
        return (max(self.values) - min(self.values)) / 2 / abs(self.median)


def paired_ratio(a: Sample, b: Sample) -> float:
    """Median of the per-repetition ratios a/b: the runs were interleaved, so each pair saw
    the same machine load, which makes this steadier than a ratio of medians on a busy box."""
    return statistics.median(x / y for x, y in zip(a.values, b.values, strict=True))


def timed(fn: Callable[[], object]) -> float:
    """Wall time of one call, with the garbage collector held off so it is not charged."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    finally:
        gc.enable()


def rates(runs: dict[str, Callable[[], int]], repeats: int) -> dict[str, Sample]:
    """Operations per second of each run, repeated round-robin so drift hits all alike.

    Each callable does its work and returns how many operations it did.
    """
    values: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, fn in runs.items():
            count = 0

            def once(fn=fn) -> None:
                nonlocal count
                count = fn()

            seconds = timed(once)
            values[name].append(count / seconds)
    return {name: Sample(tuple(v), "ops/s") for name, v in values.items()}
