"""`make test` is reproducible (Hypothesis's `ci` profile: derandomized, no example database);
`make fuzz` stays random and deeper, and says the seed to replay a failure with."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT
from tests.strategies import hostile_text

MAKEFILE = (ROOT / "Makefile").read_text()


def recipe(target: str) -> str:
    match = re.search(rf"^{target}:.*?\n((?:\t.*\n|\n(?=\t))+)", MAKEFILE, re.MULTILINE)
    assert match, f"no {target} target in the Makefile"
    return match.group(1)


def test_the_ci_profile_is_derandomized_without_an_example_database():
    ci, deep = settings.get_profile("ci"), settings.get_profile("deep")
    assert ci.derandomize and ci.database is None
    assert not deep.derandomize and deep.max_examples > ci.max_examples


def test_a_run_under_the_ci_profile_draws_the_same_examples_every_time():
    drawn: list[list[str]] = []

    @settings(settings.get_profile("ci"), max_examples=15)
    @given(hostile_text(max_size=10), st.integers())
    def property_test(text, number):
        drawn[-1].append(f"{text!r}{number}")

    for _ in range(2):
        drawn.append([])
        property_test()
    assert drawn[0] == drawn[1] and len(set(drawn[0])) > 1


def test_make_test_loads_the_profiles_for_every_test_and_make_fuzz_prints_its_seed():
    # Loaded as a plugin, the profile covers Hypothesis tests outside tests/fuzz too.
    pytest_lines = [line for line in recipe("test").splitlines() if " pytest " in line]
    assert len(pytest_lines) == 2 and all("$(HYPOTHESIS_CI)" in line for line in pytest_lines)
    assert re.search(r"^HYPOTHESIS_CI := -p tests\.fuzz\.profiles$", MAKEFILE, re.MULTILINE)
    fuzz = recipe("fuzz")
    assert "HYPOTHESIS_PROFILE=deep" in fuzz and "--hypothesis-seed=$$seed" in fuzz
    assert fuzz.count("seed $$seed") >= 2  # printed before the run and with a failure
