"""Latency percentiles of tasks (issue 19.9): run time and queue wait per task name as p50, p95
and p99 over the last hour, day and week, at millions of history rows.

Percentiles cannot be added up, histograms can: each task name's runs of each hour are kept as
two histograms (run time, queue wait) in TaskLatency, with log-spaced buckets 5 % wide
(`histogram.py`), written by the `latency_summary` job every five minutes (`summary.py`); an
hour's rows are merged into a day's once the day is over. A window is then the summary's rows
plus the newest minutes read live from the history (`figures.py`): a week is 6 day rows, today's
hour rows and the current hour, whatever the history holds. A percentile is exact to its bucket
(within 5 %); the slowest runs are exact (each row keeps its ten slowest).
"""
