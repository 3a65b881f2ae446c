"""Hostile input to the email studio's preview and save, over HTTP, as a Viewer and an editor.

Generated MJML fragments (known and unknown elements, HTML, nesting up to 20,000 levels),
template syntax (tags, filters with hostile arguments, numbers past float range), sample
data JSON (deep, huge, NUL bytes, lone surrogates in keys and values, wrong types), sizes, and
`hostile_text` (NULs, lone surrogates, non-BMP characters) in every text field. Forms are
posted as the bytes a hostile client sends: a lone surrogate as its invalid UTF-8 bytes,
inside JSON as its escape. Every target asserts: no 500, no crash, nothing half-saved (a
version exists only for a template that validates, the active version is the latest, a
refused save changes nothing) and nothing unstorable saved.
"""

import json
from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from apps.console.roles import SENDER, TEMPLATE_EDITOR, VIEWER
from apps.mail.defaults import read_default
from apps.mail.models import EmailLayout, EmailTemplate, EmailTemplateVersion, OutboundEmail
from apps.mail.sandbox import ALLOWED_FILTERS
from apps.mail.template_fields import TEMPLATE_FIELDS
from apps.text_input import poison_in
from tests.console.studio_support import editor_data, role_client, shipped  # noqa: F401
from tests.strategies import hostile_text

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db, pytest.mark.usefixtures("shipped")]

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


EXAMPLES: dict[str, int] = {}


def post(client: Client, url: str, data: dict):
    """POST the form as a hostile client's bytes: lone surrogates as invalid UTF-8."""
    body = urlencode(data, encoding="utf-8", errors="surrogatepass")
    response = client.post(url, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code < 500, response.content[:800]
    return response


def received(text: str) -> str:
    """What the server reads of a posted field (invalid UTF-8 becomes U+FFFD), newlines LF."""
    text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def count(target: str) -> None:
    EXAMPLES[target] = EXAMPLES.get(target, 0) + 1


def done(target: str) -> None:
    print(f"\nfuzz target {target}: {EXAMPLES.get(target, 0)} examples, no response >= 500")


STORED_FIELDS = ["key", *TEMPLATE_FIELDS]


def assert_nothing_half_saved() -> None:
    for template in EmailTemplate.objects.all():
        stored = {f: getattr(template, f) for f in STORED_FIELDS}
        assert poison_in(stored) is None, f"{template.key}: {poison_in(stored)} stored"
        versions = list(template.versions.filter(language="en").order_by("-number"))
        assert versions, f"{template.key} has no version"
        assert template.active_version_id == versions[0].pk
        for version in versions:
            assert version.compiled_html.startswith("<!doctype html>")
            assert "<mj-" not in version.compiled_html
        for translation in template.translations.all():  # each language its own history
            latest = template.versions.filter(language=translation.language).order_by("-number")
            assert translation.active_version_id == latest.first().pk


def test_the_preview_as_a_viewer_never_fails():
    client = role_client(VIEWER)
    client.raise_request_exception = False
    template = EmailTemplate.objects.get(key="welcome")
    url = f"/admin/mail/emailtemplate/{template.pk}/preview/"
    versions = EmailTemplateVersion.objects.count()

    @given(edits)
    def attempt(changes):
        count("preview_viewer")
        body = post(client, url, editor_data(template, **changes)).json()
        assert body["ok"] or body["problems"]
        assert poison_in(body) is None, "the preview accepted text that cannot be saved"
        assert EmailTemplateVersion.objects.count() == versions

    attempt()
    done("preview_viewer")
    assert EmailTemplate.objects.get(pk=template.pk).mjml == template.mjml


def test_the_preview_of_a_new_template_as_an_editor_never_fails():
    client = role_client(TEMPLATE_EDITOR)
    client.raise_request_exception = False

    @given(edits)
    def attempt(changes):
        count("preview_new_editor")
        data = editor_data(
            EmailTemplate(key="new", name="New", category="transactional"), **changes
        )
        body = post(client, "/admin/mail/emailtemplate/preview/", data).json()
        assert body["ok"] or body["problems"]
        assert poison_in(body) is None, "the preview accepted text that cannot be saved"
        assert not EmailTemplate.objects.filter(key="new").exists()

    attempt()
    done("preview_new_editor")


def test_the_layout_preview_as_a_viewer_never_fails():
    client = role_client(VIEWER)
    client.raise_request_exception = False
    layout = EmailLayout.objects.get(is_default=True)
    url = f"/admin/mail/emaillayout/{layout.pk}/preview/"

    @given(
        st.one_of(mjml, st.builds(lambda body: layout.mjml.replace("<mj-content/>", body), mjml)),
        st.sampled_from(["", "welcome", "usage_report", "\x00", "nope"]),
    )
    def attempt(source, template_key):
        count("layout_preview_viewer")
        body = post(
            client,
            url,
            {
                "key": layout.key,
                "name": layout.name,
                "mjml": source,
                "preview_template": template_key,
            },
        ).json()
        assert body["ok"] or "problems" in body
        assert poison_in(body) is None, "the preview accepted text that cannot be saved"
        assert EmailLayout.objects.get(pk=layout.pk).mjml == layout.mjml

    attempt()
    done("layout_preview_viewer")


def test_saving_as_an_editor_never_fails_and_never_half_saves():
    client = role_client(TEMPLATE_EDITOR)
    client.raise_request_exception = False
    template = EmailTemplate.objects.get(key="welcome")
    url = f"/admin/mail/emailtemplate/{template.pk}/change/"

    @given(edits)
    def attempt(changes):
        count("save_editor")
        before = EmailTemplate.objects.get(pk=template.pk)
        saved = before.versions.count()
        response = post(client, url, editor_data(before, **changes))
        after = EmailTemplate.objects.get(pk=template.pk)
        if response.status_code == 302:
            assert after.versions.count() == saved + 1
            assert (
                after.active_version.mjml
                == after.mjml
                == received(changes.get("mjml", before.mjml)).strip()
            )
        else:
            assert response.status_code == 200 and after.versions.count() == saved
            assert (after.mjml, after.subject, after.sample_context) == (
                before.mjml,
                before.subject,
                before.sample_context,
            )
        assert_nothing_half_saved()

    attempt()
    done("save_editor")


def test_adding_a_template_as_an_editor_never_half_saves_and_a_viewer_cannot():
    editor = role_client(TEMPLATE_EDITOR)
    viewer = role_client(VIEWER)
    editor.raise_request_exception = viewer.raise_request_exception = False

    @given(edits, st.sampled_from(["fuzzed", "", "x" * 60, "../x", "new key", "\x00"]))
    def attempt(changes, key):
        count("add_editor_and_viewer")
        fields = {f: WELCOME[f] for f in ("mjml", "subject", "variables", "sample_context")}
        new = EmailTemplate(key=key, name="Fuzzed", category="alerts", **fields)
        data = editor_data(new, **changes)
        assert post(viewer, "/admin/mail/emailtemplate/add/", data).status_code == 403
        post(editor, "/admin/mail/emailtemplate/add/", data)
        assert_nothing_half_saved()

    attempt()
    done("add_editor_and_viewer")


context_text = st.one_of(
    st.builds(lambda value: json.dumps({"name": value}), hostile_text()),
    st.builds(lambda key: json.dumps({key: "Grace"}), hostile_text()),
    st.builds(json.dumps, json_value),
    hostile_text(),
)


def test_a_test_send_with_hostile_data_never_fails_and_never_stores_poison(settings):
    settings.MAILERS = {"default": {"BACKEND": "anymail.backends.test.EmailBackend"}}
    settings.MAIL_TEST_SENDS_PER_HOUR = 100_000
    client = role_client(SENDER)
    client.raise_request_exception = False
    template = EmailTemplate.objects.get(key="welcome")
    url = f"/admin/mail/emailtemplate/{template.pk}/test_send/"

    @given(context_text, st.one_of(st.just(client.user.email), hostile_text()))
    def attempt(context, to):
        count("test_send_sender")
        sent = OutboundEmail.objects.count()
        data = {"_form_submitted": "on", "to": to, "context": context}
        response = post(client, url, data)
        if "HX-Redirect" not in response.headers:
            assert OutboundEmail.objects.count() == sent
        for email in OutboundEmail.objects.all():
            assert poison_in({"to": email.to, "context": email.context}) is None

    attempt()
    done("test_send_sender")
