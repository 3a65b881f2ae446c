"""The benchmarks' results table: every figure `harness.record` kept, with its ratio, target and
verdict, the load average and the environment, printed at the session's end and saved as text
and JSON under var/bench/ (tests/bench/conftest.py)."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict
from pathlib import Path

from tests.bench.harness import ENVIRONMENT, NOTES, RESULTS, RESULTS_DIR


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"


def table(load_start: tuple[float, float, float]) -> str:
    """The session's figures as one text table."""
    load_end = os.getloadavg()
    head = (
        "area",
        "ours",
        "peer",
        "peer value",
        "unit",
        "ratio",
        "per round",
        "target",
        "result",
        "rnd",
        "load",
    )
    rows = [
        (
            f.area,
            _number(f.ours),
            f.peer_name or "-",
            _number(f.peer),
            f.unit,
            f"{f.ratio:.2f}x" if f.ratio is not None else "-",
            f"{min(f.round_ratios):.2f}-{max(f.round_ratios):.2f}" if f.round_ratios else "-",
            f">= {f.target_ratio:g}x"
            if f.target_ratio is not None
            else (
                f"{'<=' if f.better == 'lower' else '>='} {f.budget:g}"
                if f.budget is not None
                else "-"
            ),
            f.verdict,
            str(f.rounds or "-"),
            f"{f.load:.2f}",
        )
        for f in RESULTS
    ]
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    right = {1, 3, 5, 6, 9, 10}

    def line(cells) -> str:
        return "  ".join(
            str(c).rjust(w) if i in right else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [
        "=" * 30 + " benchmark results " + "=" * 30,
        f"run at {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC} on {os.cpu_count()} CPUs; "
        f"load average at start {_load(load_start)}, at end {_load(load_end)}",
        *(f"{k}: {v}" for k, v in ENVIRONMENT.items()),
        "ratio = how many times better ours is than the peer (rates: ours/peer; times: "
        "peer/ours); figures are medians of the alternated rounds (rnd); per round = the "
        "lowest and highest ratio within one round (runs of the same round are close in time)",
        "",
        line(head),
        line(["-" * w for w in widths]),
        *(line(r) for r in rows),
    ]
    notes = [f"- {f.area}: {f.note}" for f in RESULTS if f.note] + [f"- {n}" for n in NOTES]
    if notes:
        out += ["", "notes:", *notes]
    misses = [
        f"{f.area} (vs {f.peer_name})" if f.peer_name else f.area
        for f in RESULTS
        if f.verdict == "MISS"
    ]
    out += [
        "",
        f"{len(RESULTS)} figures, {len(misses)} below target"
        + (f": {', '.join(misses)}" if misses else ""),
    ]
    return "\n".join(out)


def _load(load: tuple[float, float, float]) -> str:
    return " / ".join(f"{x:.2f}" for x in load) + " (1/5/15 min)"


def save(text: str) -> Path:
    """Write the table (and the figures as JSON) under var/bench/; return the text file."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    path = RESULTS_DIR / f"results-{stamp}.txt"
    path.write_text(text + "\n")
    (RESULTS_DIR / "latest.txt").write_text(text + "\n")
    (RESULTS_DIR / "latest.json").write_text(
        json.dumps(
            {
                "environment": ENVIRONMENT,
                "notes": NOTES,
                "figures": [{**asdict(f), "ratio": f.ratio, "verdict": f.verdict} for f in RESULTS],
            },
            indent=1,
        )
    )
    return path
