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
from apps.mail.models import EmailLayout, EmailTemplate, EmailTemplateVersion, OutboundEmail
from apps.mail.template_fields import TEMPLATE_FIELDS
from apps.text_input import poison_in
from tests.console.studio_support import editor_data, role_client, shipped  # noqa: F401
from tests.fuzz.studio_strategies import WELCOME, edits, json_value, mjml
from tests.strategies import hostile_text

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db, pytest.mark.usefixtures("shipped")]

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
