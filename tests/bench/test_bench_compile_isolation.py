"""MRML in process or in a forked child with limits: what the isolation costs a preview/save.

`make bench` (or `pytest tests/bench/test_bench_compile_isolation.py -s`) prints both,
A/B alternated over three rounds, medians and the ratio. The child is what the studio uses
(apps/mail/mjml_compile.py): a crash or overrun in MRML cannot take the web process down.
"""

import os
import statistics
import time

import pytest

from apps.mail.mjml_compile import compile_isolated, compile_mjml
from apps.mail.rendering import combine
from apps.mail.selectors import template_active_version
from tests.bench.harness import record

pytestmark = pytest.mark.django_db
ROUNDS, CALLS = 3, 200


def per_call_ms(function, document: str) -> float:
    start = time.perf_counter()
    for _ in range(CALLS):
        function(document)
    return (time.perf_counter() - start) / CALLS * 1000


def test_compile_in_process_vs_in_a_forked_child(templates):
    version = template_active_version(key="usage_report")
    document, _ = combine(version.layout_mjml, version.mjml)
    timings = {"in process": [], "forked child": []}
    for _ in range(ROUNDS):
        timings["in process"].append(per_call_ms(compile_mjml, document))
        timings["forked child"].append(per_call_ms(compile_isolated, document))
    medians = {name: statistics.median(values) for name, values in timings.items()}
    load = os.getloadavg()[0]
    print(f"\nMJML compile of usage_report ({len(document):,} chars), load {load:.2f}")
    for name, value in medians.items():
        print(f"  {name:>13}: {value:.3f} ms per compile (median of {ROUNDS} x {CALLS})")
    print(f"  isolation costs {medians['forked child'] - medians['in process']:.2f} ms a compile")
    record(
        "MJML compile (usage_report) in a forked child with limits",
        unit="ms",
        ours=medians["forked child"],
        peer=medians["in process"],
        peer_name="in process",
        better="lower",
        note="what the studio's crash isolation costs; no target",
    )
    assert medians["forked child"] < 100  # a preview stays interactive
