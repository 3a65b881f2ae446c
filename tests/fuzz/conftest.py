"""The property-based tests of hostile input (marker `fuzz`): their Hypothesis profiles live in
tests/fuzz/profiles.py, imported here so that a run of tests/fuzz alone uses them too."""

import tests.fuzz.profiles  # noqa: F401
