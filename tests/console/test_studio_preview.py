"""The live preview: rendered without saving, sandboxed, dark both ways, checked; errors placed."""

import pytest

from apps.console.roles import VIEWER
from apps.console.studio.checks import FAIL, PASS, PENDING, WARN
from apps.console.studio.preview import PREVIEW_CSP, forced_dark, own_dark, parse_colour
from apps.mail.models import EmailLayout, EmailTemplate, EmailTemplateVersion
from apps.mail.qa.check import SKIP, Email, check_email
from apps.mail.services import personalize
from tests.console.studio_support import editor_data, role_client, shipped  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped")]


def preview(client, template: EmailTemplate, **changes) -> dict:
    url = f"/admin/mail/emailtemplate/{template.pk}/preview/"
    response = client.post(url, editor_data(template, **changes))
    assert response.status_code == 200
    return response.json()


def test_the_preview_renders_the_edited_source_without_saving_it(admin_client):
    template = EmailTemplate.objects.get(key="welcome")
    edited = template.mjml.replace("Welcome aboard", "Hello from the preview")
    data = preview(admin_client, template, mjml=edited, subject="Hi {{ name }}!")
    assert data["ok"] and data["problems"] == []
    assert "Hello from the preview, Ada" in data["html"]["light"]
    assert data["subject"] == "Hi Ada!"
    assert data["preheader"].startswith("Your account is ready")
    assert "Hello from the preview, Ada" in data["text"]
    assert EmailTemplateVersion.objects.filter(template=template, language="en").count() == 1
    assert EmailTemplate.objects.get(pk=template.pk).mjml == template.mjml


def test_every_preview_document_carries_a_strict_csp_first_in_its_head(admin_client):
    data = preview(admin_client, EmailTemplate.objects.get(key="welcome"))
    for document in data["html"].values():
        head = document.split("<head>", 1)[1]
        assert head.startswith(
            f'<meta http-equiv="Content-Security-Policy" content="{PREVIEW_CSP}">'
        )
    assert "default-src 'none'" in PREVIEW_CSP and "script-src" not in PREVIEW_CSP


def test_the_own_dark_document_applies_the_emails_dark_styles_unconditionally(admin_client):
    data = preview(admin_client, EmailTemplate.objects.get(key="welcome"))
    light = data["html"]["light"]  # light even when the console itself is dark
    assert "prefers-color-scheme" not in light and "(max-width: -1px)" in light
    dark = data["html"]["dark"]
    assert "prefers-color-scheme" not in dark and "(min-width: 0px)" in dark
    assert ":root { color-scheme: dark; }" in dark


def test_an_mjml_error_comes_back_with_its_field_line_and_column(admin_client):
    template = EmailTemplate.objects.get(key="welcome")
    lines = template.mjml.splitlines()
    lines[4] = "    <mj-txt>oops</mj-txt>"
    data = preview(admin_client, template, mjml="\n".join(lines))
    assert not data["ok"]
    assert {
        "field": "mjml",
        "line": 5,
        "column": 5,
        "message": "unknown element <mj-txt>",
        "cause": None,
    } in data["problems"]


def test_a_json_error_in_the_sample_data_comes_back_with_its_line(admin_client):
    template = EmailTemplate.objects.get(key="welcome")
    data = preview(admin_client, template, sample_context='{\n  "name": "Ada",\n}')
    assert data["problems"][0]["field"] == "sample_context"
    assert data["problems"][0]["line"] == 3


def test_a_viewer_may_preview_and_a_stranger_may_not():
    template = EmailTemplate.objects.get(key="welcome")
    assert preview(role_client(VIEWER), template)["ok"]
    from django.test import Client

    response = Client().post(f"/admin/mail/emailtemplate/{template.pk}/preview/", {})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.fixture
def deployed(settings):
    """Links in emails point at a deployed site, not at this test's 127.0.0.1."""
    settings.SITE_URL = "https://app.summasaas.example"
    personalize._url.cache_clear()
    yield
    personalize._url.cache_clear()


def test_checks_beside_the_preview_pass_for_a_shipped_template(admin_client, deployed):
    data = preview(admin_client, EmailTemplate.objects.get(key="daily_digest"))
    statuses = {check["key"]: check["status"] for check in data["checks"]}
    assert statuses == {
        "clients": WARN,
        "links": PASS,
        "contrast": PASS,
        "accessibility": PASS,
        "spam": PENDING,
        "size": PASS,
    }


def test_a_digest_without_its_unsubscribe_link_fails_the_check(admin_client, deployed):
    template = EmailTemplate.objects.get(key="daily_digest")
    layout = template.layout or EmailLayout.objects.get(is_default=True)
    layout.mjml = layout.mjml.replace("{{ unsubscribe_url }}", "https://example.com/unsubscribe")
    layout.save()
    data = preview(admin_client, template)
    [links] = [c for c in data["checks"] if c["key"] == "links"]
    assert links["status"] == FAIL
    assert any("need an unsubscribe link" in f["message"] for f in links["findings"])


def test_links_images_size_and_dark_mode_are_checked(deployed):
    html = (
        "<html lang='en' dir='ltr'><head></head><body><a href=''>a</a><a href='#'>b</a>"
        "<a href='http://x.example/'>c</a><a href='https://ok.example/'>d</a>"
        "<a href='http://[bad'>e</a><a href='mailto:hi@example.com'>f</a>"
        "<img src='https://i.example/a.png'><img src='https://i.example/b.png' alt='B'>"
        "</body></html>"
    )
    email = Email(
        key="t",
        language="en",
        category="transactional",
        subject="Hi",
        preheader="",
        html=html,
        text="a b c d e f",
    )
    areas = check_email(email, spam_score=SKIP).areas
    broken = [f for f in areas["links"].findings if f.severity == "error"]
    assert areas["links"].status == FAIL and len(broken) == 4
    missing_alt = [f.message for f in areas["accessibility"].findings if "alt" in f.message]
    assert missing_alt == [
        'The image https://i.example/a.png has no alt text: describe it, or write alt="" if '
        "it is decoration"
    ]
    assert areas["contrast"].status == WARN  # no dark-mode styles
    assert areas["size"].status == PASS
    big = Email(
        key="t",
        language="en",
        category="transactional",
        subject="Hi",
        preheader="",
        html="x" * 110_000,
        text="x",
    )
    assert check_email(big, spam_score=SKIP).areas["size"].status == FAIL


def test_forced_dark_darkens_light_backgrounds_and_lightens_dark_text():
    html = (
        "<html><head><style>.card { background-color: #ffffff; color: #1f2330; }</style></head>"
        '<body style="background:#f4f5f7"><td bgcolor="#FFFFFF" style="color:#000">x</td>'
        '<a style="background-color:#4f46e5;color:#ffffff">b</a></body></html>'
    )
    dark = forced_dark(html)
    assert "#ffffff;" not in dark.split("</style>", 1)[1].split("<a")[0]
    background = parse_colour(dark.split('bgcolor="')[1].split('"')[0])[0]
    assert max(background) < 60  # a white cell became dark
    text = parse_colour(dark.split('style="color:')[1].split('"')[0])[0]
    assert min(text) > 180  # black text became light
    button = parse_colour(dark.split("background-color:")[-1].split(";")[0])[0]
    assert button[2] > 150  # the saturated button keeps its colour
    assert own_dark("<head></head>@media (prefers-color-scheme: light) {}").count("max-width") == 1


def test_the_layout_preview_shows_a_template_in_the_edited_layout(admin_client):
    layout = EmailLayout.objects.get(is_default=True)
    url = f"/admin/mail/emaillayout/{layout.pk}/preview/"
    edited = layout.mjml.replace("Email preferences", "Your email settings")
    data = admin_client.post(url, {"mjml": edited, "preview_template": "invoice"}).json()
    assert data["ok"] and "Your email settings" in data["html"]["light"]
    assert data["subject"].startswith("Receipt for invoice")
    lines = layout.mjml.splitlines()
    number = next(i for i, line in enumerate(lines) if "<mj-body" in line)
    lines[number] += "<mj-bogus/>"
    data = admin_client.post(url, {"mjml": "\n".join(lines)}).json()
    assert not data["ok"]
    assert data["problems"][0]["field"] == "mjml" and data["problems"][0]["line"] == number + 1
    assert EmailLayout.objects.get(pk=layout.pk).mjml == layout.mjml


def test_a_one_letter_typo_comes_back_as_one_cause_and_its_folded_consequences(admin_client):
    template = EmailTemplate.objects.get(key="welcome")
    data = preview(admin_client, template, mjml=template.mjml.replace("<mj-column>", "<mj-colum>"))
    causes = [p for p in data["problems"] if p["cause"] is None]
    assert [(p["line"], p["column"], p["message"]) for p in causes] == [
        (2, 3, "unknown element <mj-colum>")
    ]
    consequences = [p for p in data["problems"] if p["cause"] == [2, 3]]
    assert len(consequences) == len(data["problems"]) - 1 == 6
    assert data["problems"][0] == {**causes[0]}  # the cause comes first


def test_a_refused_save_leaves_the_saved_version_on_screen_not_a_blank_preview(admin_client):
    template = EmailTemplate.objects.get(key="welcome")
    response = admin_client.post(
        f"/admin/mail/emailtemplate/{template.pk}/change/",
        editor_data(template, mjml=template.mjml.replace("<mj-column>", "<mj-colum>")),
    )
    assert response.status_code == 200  # refused: the form again, with the cause only
    errors = response.context["adminform"].form.errors["mjml"]
    assert errors == [
        "line 2, column 3: unknown element <mj-colum> (6 more problems follow from it)"
    ]
    first = preview(admin_client, template, mjml="<mj-colum>", rendered="0")
    assert not first["ok"] and first["fallback"]["version"] == 1
    assert "Welcome aboard, Ada" in first["fallback"]["html"]["light"]
    later = preview(admin_client, template, mjml="<mj-colum>", rendered="1")
    assert later["fallback"] is None  # the page already shows something; nothing to resend
