"""The benchmarks' shared harness: A/B alternation with medians, and one results table.

Every benchmark measures us against the peer a user would pick, in the same run:

    series = alternate({"ours": run_ours, "celery": run_celery}, label="drain, threads")
    record("task drain, 4 threads", ours=series["ours"], peer=series["celery"],
           peer_name="Celery threads", unit="tasks/s", target_ratio=2.0)

`alternate` runs a warm-up of each contender (not counted), then ROUNDS rounds in which every
contender runs once, the order rotating each round so no one always goes first; a figure is the
median of its rounds. `record` keeps a row for the table that the session prints at its end
(tests/bench/conftest.py), with the ratio, the target and pass/miss, and the load average.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROUNDS = max(3, int(os.environ.get("BENCH_ROUNDS", "3")))
RESULTS_DIR = Path(__file__).resolve().parents[2] / "var" / "bench"


@dataclass
class Series:
    """One contender's figure in every counted round (and its warm-up)."""

    name: str
    unit: str = ""
    samples: list[float] = field(default_factory=list)
    warmup: float | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def __str__(self) -> str:
        rounds = ", ".join(f"{s:,.4g}" for s in self.samples)
        return f"{self.name}: median {self.median:,.4g} {self.unit} (rounds: {rounds})"


def alternate(
    contenders: dict[str, Callable[[int], float]],
    *,
    rounds: int = ROUNDS,
    warmup: bool | dict[str, Callable[[int], float]] = True,
    label: str = "",
    unit: str = "",
) -> dict[str, Series]:
    """Run each contender `rounds` times, alternating, and return their series.

    A contender is called with the round number (0 for the warm-up) and returns one figure.
    `warmup`: True runs each contender once first (not counted); a dict gives cheaper warm-up
    callables (e.g. a tenth of the work); False skips it.
    """
    assert rounds >= 3, "the harness reports medians of at least three rounds"
    names = list(contenders)
    series = {name: Series(name, unit) for name in names}
    if warmup:
        warmers = warmup if isinstance(warmup, dict) else contenders
        for name in names:
            series[name].warmup = warmers[name](0)
            _progress(label, "warm-up", name, series[name].warmup, unit)
    for round_no in range(1, rounds + 1):
        shift = (round_no - 1) % len(names)
        for name in names[shift:] + names[:shift]:
            value = contenders[name](round_no)
            series[name].samples.append(value)
            _progress(label, f"round {round_no}", name, value, unit)
    return series


def _progress(label: str, stage: str, name: str, value: float, unit: str) -> None:
    print(f"  [{label}] {stage:8} {name:28} {value:12,.4g} {unit}", flush=True)


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def wait_for(
    predicate: Callable[[], object], *, timeout: float, interval: float = 0.002, what: str = ""
) -> float:
    """Poll until `predicate()` is truthy; return the perf_counter() at which it was seen."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return time.perf_counter()
        if time.monotonic() > deadline:
            raise AssertionError(f"not done after {timeout} s: {what or predicate}")
        time.sleep(interval)


# --- the results table ----------------------------------------------------------------------


@dataclass
class Figure:
    area: str
    ours: float
    unit: str
    peer: float | None = None
    peer_name: str = ""
    better: str = "higher"  # "higher" (rates) or "lower" (times)
    target_ratio: float | None = None  # ours vs the peer, in "times better"
    budget: float | None = None  # an absolute limit when there is no peer (e.g. 300 ms)
    rounds: int = 0
    note: str = ""
    load: float = 0.0
    test: str = ""
    round_ratios: list[float] = field(default_factory=list)  # ours vs peer, round by round

    @property
    def ratio(self) -> float | None:
        """How many times better ours is than the peer (> 1 = we win)."""
        if self.peer is None or not self.ours or not self.peer:
            return None
        return self.ours / self.peer if self.better == "higher" else self.peer / self.ours

    @property
    def verdict(self) -> str:
        if self.target_ratio is not None:
            if self.ratio is None:
                return "n/a"
            return "pass" if self.ratio >= self.target_ratio else "MISS"
        if self.budget is not None:
            ok = self.ours <= self.budget if self.better == "lower" else self.ours >= self.budget
            return "pass" if ok else "MISS"
        return "info"


RESULTS: list[Figure] = []
NOTES: list[str] = []  # lines printed under the table (e.g. "node absent: no mjml figure")
ENVIRONMENT: dict[str, str] = {}


def _value(figure: float | Series | None) -> tuple[float | None, int]:
    if isinstance(figure, Series):
        return figure.median, len(figure.samples)
    return figure, 0


def record(
    area: str,
    *,
    ours: float | Series,
    unit: str,
    peer: float | Series | None = None,
    peer_name: str = "",
    target_ratio: float | None = None,
    better: str = "higher",
    budget: float | None = None,
    note: str = "",
) -> Figure:
    """Keep one figure for the table printed at the end of the session; returns it.

    `ours`/`peer` are medians (or `Series`, whose median is taken); `target_ratio` is the
    issue's target for ours vs the peer in "times better" (rate ratio for rates, time ratio
    inverted for times); `budget` an absolute limit for figures without a peer.
    """
    assert better in ("higher", "lower"), better
    round_ratios = []
    if (
        isinstance(ours, Series)
        and isinstance(peer, Series)
        and len(ours.samples) == len(peer.samples)
    ):
        pairs = zip(ours.samples, peer.samples, strict=True)
        round_ratios = [o / q if better == "higher" else q / o for o, q in pairs if o and q]
    ours_value, ours_rounds = _value(ours)
    peer_value, peer_rounds = _value(peer)
    figure = Figure(
        area=area,
        ours=ours_value,
        unit=unit,
        peer=peer_value,
        peer_name=peer_name,
        better=better,
        target_ratio=target_ratio,
        budget=budget,
        rounds=min(r for r in (ours_rounds, peer_rounds) if r) if ours_rounds or peer_rounds else 0,
        note=note,
        load=os.getloadavg()[0],
        test=os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0],
        round_ratios=round_ratios,
    )
    RESULTS.append(figure)
    ratio = f", ratio {figure.ratio:.2f}x" if figure.ratio is not None else ""
    peer_text = f" vs {peer_name} {peer_value:,.4g}" if peer_value is not None else ""
    print(f"  => {area}: ours {ours_value:,.4g} {unit}{peer_text}{ratio} [{figure.verdict}]")
    return figure


def note(line: str) -> None:
    """A line printed under the table (what was not measured and why, environment facts)."""
    NOTES.append(line)
    print(f"  note: {line}")
