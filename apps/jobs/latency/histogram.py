"""Log-spaced histograms of durations: bucket b holds [1.05^b, 1.05^(b+1)) milliseconds.

The buckets are computed in SQL (`bucket_sql`) so that no history row passes through Python,
and merged and read here. Bucket 0 also holds everything under a millisecond.
"""

import math
from collections import Counter
from collections.abc import Iterable

from django.db.models import F, FloatField, Func, Value
from django.db.models.functions import Floor, Greatest, Ln

BASE = 1.05  # each bucket is 5 % wider than the last: a percentile is exact to within 5 %


def bucket_sql(seconds) -> Floor:
    """The bucket of a duration in seconds (an expression), as the database computes it."""
    ms = Greatest(seconds * Value(1000.0), Value(1.0), output_field=FloatField())
    return Floor(Ln(ms) / Value(math.log(BASE)), output_field=FloatField())


def bucket_ms(bucket: int) -> float:
    """The middle of a bucket (geometric), in milliseconds."""
    return BASE ** (bucket + 0.5)


def merged(histograms: Iterable[dict]) -> Counter:
    """Several histograms (JSON: string keys) as one, with integer buckets."""
    total: Counter = Counter()
    for histogram in histograms:
        for bucket, count in histogram.items():
            total[int(bucket)] += count
    return total


def percentile(histogram: Counter, share: float) -> float | None:
    """The duration (seconds) at `share` (0.95) of the runs: the middle of the bucket where the
    nearest-rank run falls; None without any run."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(1, math.ceil(share * total))
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return bucket_ms(bucket) / 1000
    raise AssertionError("unreachable")


class Seconds(Func):
    """Seconds from `earliest` to `latest` (two timestamps), on PostgreSQL and SQLite."""

    output_field = FloatField()

    def __init__(self, latest, earliest):
        super().__init__(
            F(latest) if isinstance(latest, str) else latest,
            F(earliest) if isinstance(earliest, str) else earliest,
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM (%(expressions)s))",
            arg_joiner=" - ",
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )
