"""A figure shown in several parts of one email is formatted once (apps/mail/formatted_once.py), and
that never changes what the email says.

The usage report shows each of its figures in the HTML, the text and the preheader; formatting
each once per email renders it about 1.3x as fast (`manage.py bench_render`). The
kept answers are keyed by filter, value, value's type and argument: 1, 1.0 and True are equal
in Python but do not format alike, and neither do `floatformat:'g'` and `floatformat:'-1'`.
"""

import datetime as dt
from decimal import Decimal

from django.template import Context
from django.utils import translation
from hypothesis import example, given, settings
from hypothesis import strategies as st

from apps.mail.exceptions import TemplateBoundError
from apps.mail.formatted_once import one_email
from apps.mail.sandbox import HTML_ENGINE, TEXT_ENGINE

PARTS = [
    "{{ a|floatformat:'g' }} {{ b|floatformat:'g' }}",
    "{{ a|floatformat:'-1' }} {{ b|floatformat }} {{ a|floatformat:'g' }}",
    "{{ a|stringformat:'r' }} {{ b|stringformat:'r' }} {{ a|stringformat:'s' }}",
    "{{ a|date }} {{ b|date:'Y-m' }} {{ a|time }}",
    "{{ a|money }} {{ b|money }}",
]
values = st.one_of(
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.decimals(
        allow_nan=False, allow_infinity=False, places=3, max_value=10**9, min_value=-(10**9)
    ),
    st.dates().map(dt.date.isoformat),
    st.dates(),
    st.sampled_from(["49.00 USD", "1,250.5 EUR", "", "abc"]),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
)


def outcome(engine, part: str, context: dict) -> str:
    try:
        return engine.from_string(part).render(Context(context))
    except TemplateBoundError as error:
        return f"refused: {error}"


@settings(max_examples=60, deadline=None)
@given(a=values, b=values, language=st.sampled_from(["en", "fr"]))
@example(a=0.0, b=-0.0, language="en")
@example(a=Decimal("1.0"), b=Decimal("1.00"), language="fr")
@example(a=1, b=True, language="en")
def test_the_parts_of_one_email_read_as_each_rendered_alone(a, b, language):
    context = {"a": a, "b": b}
    with translation.override(language):
        alone = [
            outcome(engine, p, context) for p in PARTS for engine in (HTML_ENGINE, TEXT_ENGINE)
        ]
        with one_email():
            together = [
                outcome(engine, p, context) for p in PARTS for engine in (HTML_ENGINE, TEXT_ENGINE)
            ]
    assert together == alone


def test_equal_values_of_different_types_keep_their_own_formats():
    context = {"one": 1, "real": 1.0, "yes": True, "exact": Decimal("1.000")}
    part = (
        "{{ one|stringformat:'r' }} {{ real|stringformat:'r' }} {{ yes|stringformat:'r' }} "
        "{{ exact|floatformat:'-3' }}"
    )
    with one_email():
        first = HTML_ENGINE.from_string(part).render(Context(context))
        again = TEXT_ENGINE.from_string(part).render(Context(context))
    assert first == again == "1 1.0 True 1"


def test_each_email_formats_in_its_own_language():
    part = "{{ used|floatformat:'g' }} {{ month|date:'YEAR_MONTH_FORMAT' }}"
    context = {"used": 8150, "month": "2026-10"}
    rendered = []
    for language in ("en", "fr"):
        with translation.override(language), one_email():
            rendered.append(TEXT_ENGINE.from_string(part).render(Context(context)))
    assert rendered == ["8,150 October 2026", "8\xa0150 octobre 2026"]
