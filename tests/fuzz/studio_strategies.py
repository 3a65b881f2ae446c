"""Hypothesis strategies for hostile studio edits (tests/fuzz/test_studio.py): generated MJML
fragments (known and unknown elements, HTML, nesting up to 20,000 levels), template syntax with
hostile filter arguments, sample-data JSON (deep, huge, NULs, lone surrogates, wrong types),
sizes, and one hostile field inside the shipped welcome template."""

import json

from hypothesis import strategies as st

from apps.mail.defaults import read_default
from apps.mail.sandbox import ALLOWED_FILTERS
from tests.strategies import hostile_text

ELEMENTS = [
    "mj-section",
    "mj-column",
    "mj-text",
    "mj-wrapper",
    "mj-group",
    "mj-raw",
    "mj-button",
    "mj-hero",
    "mj-table",
    "mj-foo",
    "div",
    "p",
    "span",
    "table",
    "td",
    "script",
    "iframe",
    "style",
]
ATTRIBUTES = [
    'href="https://x.example"',
    'href="javascript:alert(1)"',
    'onerror="x()"',
    'style="background:url(data:x)"',
    'css-class="em-text"',
    'padding="0"',
    'src="data:image/png;base64,AA=="',
    'colour="red"',
    "",
    "",
]
numbers = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(
        ["300000000", "-1", "0", "1e999", "9" * 400, "2.5", "", "x", "%1000000s", "::0"]
    ),
)
filter_use = st.builds(
    lambda var, name, arg: (
        "{{ " + var + "|" + name + (f':"{arg}"' if arg is not None else "") + " }}"
    ),
    st.sampled_from(["name", "items", "deep", "7", '"text"', "9" * 400, "1e999", "missing"]),
    st.sampled_from([*sorted(ALLOWED_FILTERS), "safe", "pprint", "nope"]),
    st.one_of(st.none(), numbers),
)
leaf = st.one_of(
    st.text(max_size=30),
    hostile_text(max_size=30),
    st.sampled_from(
        [
            "{{ name }}",
            "{% if name %}",
            "{% endif %}",
            "{% load static %}",
            "{% for i in items %}",
            "{% endfor %}",
            "{{",
            "%}",
            "<!--[if mso]>",
            "<![endif]-->",
            "&#106;avascript:",
            "\x00",
            "<mj-content/>",
            "{% now 'Y' %}",
            "{% cycle 'a' 'b' %}",
            "{% for a, b in items %}{{ a }}{% endfor %}",
        ]
    ),
    filter_use,
)


def wrap(children: list[str], element: str, attribute: str) -> str:
    return f"<{element} {attribute}>" + "".join(children) + f"</{element}>"


fragment = st.recursive(
    leaf,
    lambda inner: st.builds(
        wrap, st.lists(inner, max_size=4), st.sampled_from(ELEMENTS), st.sampled_from(ATTRIBUTES)
    ),
    max_leaves=25,
)
deep = st.builds(
    lambda element, depth, middle: f"<{element}>" * depth + middle + f"</{element}>" * depth,
    st.sampled_from(["div", "mj-section", "mj-wrapper", "b"]),
    st.integers(0, 20_000),
    st.sampled_from(["x", "{{ name }}"]),
) | st.builds(
    lambda tag, depth: ("{% " + tag + " %}") * depth + ("{% end" + tag.split()[0] + " %}") * depth,
    st.sampled_from(["if name", "for i in items", "with a=name", "spaceless"]),
    st.integers(0, 3_000),
)
mjml = st.one_of(
    fragment,
    deep,
    st.builds(
        lambda f: "<mj-section><mj-column><mj-text>" + f + "</mj-text></mj-column></mj-section>",
        fragment,
    ),
)
json_text = st.one_of(st.text(max_size=20), hostile_text(max_size=20))
json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | json_text,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.one_of(st.text(max_size=8), hostile_text(max_size=8)), inner, max_size=4
        )
    ),
    max_leaves=20,
)
sample_text = st.one_of(
    st.builds(
        lambda extra: json.dumps(
            {"name": "Ada", "dashboard_url": "https://x.example/", "items": [1, 2], "deep": extra}
        ),
        json_value,
    ),
    st.builds(
        lambda n: '{"name": "Ada", "dashboard_url": "x", "d": ' + "[" * n + "]" * n + "}",
        st.integers(0, 100_000),
    ),
    st.builds(
        lambda n: json.dumps({"name": "Ada", "dashboard_url": "x", "items": list(range(n))}),
        st.integers(0, 20_000),
    ),
    st.builds(lambda name: json.dumps({"name": name, "dashboard_url": "x"}), hostile_text()),
    st.builds(
        lambda key: json.dumps({key: 1, "name": "Ada", "dashboard_url": "x"}), hostile_text()
    ),
    st.sampled_from(
        [
            "",
            "[]",
            "null",
            '"x"',
            "{",
            '{"name": "\\u0000"}',
            '{"name": 1e999}',
            '{"name": "\\ud800"}',
            '{"\\udfff": "Ada"}',
            '{"name": "\\ud83d\\ude00"}',
        ]
    ),
    st.text(max_size=50),
    hostile_text(max_size=50),
)
variables_text = st.one_of(
    st.just('["name", "dashboard_url", "items", "deep"]'),
    st.just('["name", "dashboard_url"]'),
    st.builds(json.dumps, st.lists(st.text(max_size=10), max_size=5)),
    st.builds(lambda name: json.dumps(["name", "dashboard_url", name]), hostile_text()),
    st.text(max_size=20),
    hostile_text(max_size=20),
)
sizes = st.sampled_from([0, 1, 255, 256, 100_001, 300_000])
FIELDS = {
    "mjml": mjml,
    "subject": st.one_of(
        st.text(max_size=50), hostile_text(), filter_use, sizes.map(lambda n: "s" * n)
    ),
    "preheader": st.one_of(st.text(max_size=50), hostile_text(), filter_use),
    "text_body": st.one_of(
        st.just(""), st.text(max_size=50), hostile_text(), sizes.map(lambda n: "t " * n)
    ),
    "name": st.one_of(st.just("Welcome"), hostile_text()),
    "variables": variables_text,
    "sample_context": sample_text,
    "layout": st.sampled_from(["", "1", "x", "²", "99999999999999999999", "-1"]),
}
WELCOME = read_default("welcome")
# One hostile field in the shipped (valid) welcome template: the rest validates, so the
# hostile value gets as far as compiling, rendering and storing, where an edit of noise in
# every field is refused at the first check.
HOSTILE_ALONE = {
    "mjml": hostile_text().map(lambda t: WELCOME["mjml"].replace("Welcome aboard", t, 1)),
    "subject": hostile_text().map(lambda t: t + " {{ name }}"),
    "preheader": hostile_text(),
    "text_body": hostile_text().map(lambda t: "Hello {{ name }} " + t),
    "name": hostile_text(),
    "variables": hostile_text().map(lambda t: json.dumps(["name", "dashboard_url", t])),
    "sample_context": st.one_of(
        hostile_text().map(lambda t: json.dumps({"name": t, "dashboard_url": "x"})),
        hostile_text().map(lambda t: json.dumps({"name": "Ada", "dashboard_url": "x", t: 1})),
        st.builds(
            lambda deep: json.dumps({"name": "Ada", "dashboard_url": "x", "deep": deep}), json_value
        ),
    ),
}
every_field = st.fixed_dictionaries(FIELDS)
one_hostile_field = st.sampled_from(sorted(HOSTILE_ALONE)).flatmap(
    lambda name: st.fixed_dictionaries({name: HOSTILE_ALONE[name]})
)
edits = st.one_of(every_field, one_hostile_field)
