"""Hypothesis profiles for the hostile-input tests (marker `fuzz`).

`make test` runs the `ci` profile: a bounded number of examples per target (FUZZ_EXAMPLES,
default 40) so the suite stays fast; `make fuzz` runs `deep` (FUZZ_EXAMPLES, default 1,000).
No deadline: requests go through a real database and some through real servers.
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
    deadline=None,
    suppress_health_check=_SUPPRESSED,
    print_blob=True,
)
settings.register_profile(
    "deep",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "1000")),
    deadline=None,
    suppress_health_check=_SUPPRESSED,
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
