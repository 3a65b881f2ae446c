"""Hypothesis profiles, loaded for every test as a pytest plugin (`-p tests.fuzz.profiles`:
`make test` and `make fuzz` pass it; tests/fuzz/conftest.py loads it for runs of tests/fuzz).

`ci` (the default: `make test` and any plain pytest run) is reproducible: derandomized (each
test's examples come from a hash of the test itself) and without the example database, so a
run never depends on what an earlier run saved (a saved failing example once failed every
later `make test` on a machine, and not on a fresh clone). FUZZ_EXAMPLES examples per target
(40) keep the suite fast.

`deep` (`make fuzz`) is random and goes further (FUZZ_EXAMPLES, default 1,000): the Makefile
draws a seed, passes it as `--hypothesis-seed` and prints it, so any failure is replayed with
`make fuzz HYPOTHESIS_SEED=<seed>`; each failure also prints its `@reproduce_failure` blob. It
keeps the example database (`.hypothesis/`, not committed), so a failure found once is tried
first on the next deep run.

No deadline in either: requests go through a real database and some through real servers.
"""

import os

from hypothesis import HealthCheck, settings

_SUPPRESSED = [
    HealthCheck.too_slow,
    HealthCheck.function_scoped_fixture,
    HealthCheck.data_too_large,
]
settings.register_profile(
    "ci",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=_SUPPRESSED,
    print_blob=True,
)
# Hypothesis loads its own `ci` profile (derandomized, no database) when the CI variable is
# set, as it is in CI; `deep` starts from the plain defaults so it stays random there too.
settings.register_profile(
    "deep",
    parent=settings.get_profile("default"),
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "1000")),
    deadline=None,
    suppress_health_check=_SUPPRESSED,
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
