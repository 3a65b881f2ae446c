"""Emails in several languages: one version history per language, the recipient's language
picks the translation (the default language otherwise), each sent email records its language,
and the studio edits, validates and previews each language and lists what is missing."""

import pytest
from django.core import mail

from apps.accounts.models import User
from apps.console.roles import TEMPLATE_EDITOR, VIEWER
from apps.mail.defaults import TEMPLATE_KEYS, defaults_dir, read_translation
from apps.mail.models import EmailTemplate, EmailTemplateTranslation, OutboundEmail
from apps.mail.services import email_deliver, send_email, translations_missing
from tests.console.studio_support import role_client, shipped  # noqa: F401
from tests.mail.conftest import ANYMAIL_TEST

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped")]


def test_every_template_ships_in_french_each_with_its_own_history():
    assert {path.stem for path in (defaults_dir() / "fr").glob("*.mjml")} == set(TEMPLATE_KEYS)
    for key in TEMPLATE_KEYS:
        template = EmailTemplate.objects.get(key=key)
        french = template.translations.get(language="fr").active_version
        assert (french.language, french.number) == ("fr", 1)
        assert (template.active_version.language, template.active_version.number) == ("en", 1)
        assert french.subject == read_translation(key, "fr")["subject"]
        assert french.variables == template.variables  # shared, not translated
        assert "<mj-" not in french.compiled_html
        assert french.mjml != template.active_version.mjml  # translated, not copied
    assert translations_missing(template=EmailTemplate.objects.get(key="ops_alert")) == []


def french_user() -> User:
    return User.objects.create_user(email="ada@example.fr", password=None, language="fr")


def deliver(settings, **send) -> OutboundEmail:
    settings.MAILERS = ANYMAIL_TEST
    mail.outbox = []
    email = send_email(**send)
    return email_deliver(email_id=email.pk)


def test_a_french_recipient_gets_the_french_version_and_the_email_records_it(settings):
    user = french_user()
    email = deliver(
        settings,
        template_key="welcome",
        to=user.email,
        user_id=user.pk,
        context={"name": "Ada", "dashboard_url": "https://app.example/"},
    )
    assert email.status == "sent" and email.language == "fr"
    assert email.version.language == "fr"
    [message] = mail.outbox
    assert message.subject == "Bienvenue sur SummaSaaS, Ada"
    html = message.alternatives[0][0]
    assert "Bienvenue à bord, Ada" in html and "Préférences e-mail" in html
    assert '<html lang="fr"' in html
    assert "Bienvenue à bord, Ada" in message.body


def test_the_language_is_found_by_address_when_no_user_is_given_and_english_stays_english(
    settings,
):
    french_user()
    email = deliver(
        settings,
        template_key="welcome",
        to="ada@example.fr",
        context={"name": "Ada", "dashboard_url": "https://app.example/"},
    )
    assert email.language == "fr"
    email = deliver(
        settings,
        template_key="welcome",
        to="bob@example.com",
        context={"name": "Bob", "dashboard_url": "https://app.example/"},
    )
    assert email.language == "en" and mail.outbox[0].subject == "Welcome to SummaSaaS, Bob"


def test_without_a_translation_the_default_language_is_sent_and_recorded(settings):
    user = french_user()
    template = EmailTemplate.objects.get(key="ops_alert")
    template.translations.all().delete()  # every shipped template has French: remove one
    email = deliver(
        settings,
        template_key="ops_alert",
        to=user.email,
        user_id=user.pk,
        context=template.sample_context,
    )
    assert email.status == "sent" and email.language == "en" and email.version.language == "en"


def editor_post(client, translation: EmailTemplateTranslation, **changes):
    data = {
        "template": translation.template_id,
        "language": translation.language,
        "subject": translation.subject,
        "preheader": translation.preheader,
        "mjml": translation.mjml,
        "text_body": translation.text_body,
        **changes,
    }
    return client.post(f"/admin/mail/emailtemplatetranslation/{translation.pk}/change/", data)


def test_an_editor_saves_french_as_a_new_french_version_and_english_is_untouched():
    translation = EmailTemplateTranslation.objects.get(template__key="welcome", language="fr")
    english = translation.template.active_version
    client = role_client(TEMPLATE_EDITOR)
    response = editor_post(client, translation, subject="Bienvenue, {{ name }} !")
    assert response.status_code == 302
    translation.refresh_from_db()
    assert (translation.active_version.number, translation.active_version.subject) == (
        2,
        "Bienvenue, {{ name }} !",
    )
    template = EmailTemplate.objects.get(key="welcome")
    assert template.active_version == english
    assert template.versions.filter(language="fr").count() == 2


def test_a_broken_translation_is_refused_at_its_line_and_nothing_is_saved():
    translation = EmailTemplateTranslation.objects.get(template__key="welcome", language="fr")
    client = role_client(TEMPLATE_EDITOR)
    lines = translation.mjml.splitlines()
    lines[2] = lines[2].replace("{{ name }}", "{{ prenom }}")
    response = editor_post(client, translation, mjml="\n".join(lines))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["mjml"]
    assert (
        errors[0].startswith("line 3, column")
        and "'prenom' is used but not declared" in (errors[0])
    )
    assert EmailTemplateTranslation.objects.get(pk=translation.pk).active_version.number == 1


def test_a_viewer_previews_a_translation_beside_the_default_language_but_cannot_save_it():
    translation = EmailTemplateTranslation.objects.get(template__key="invoice", language="fr")
    client = role_client(VIEWER)
    assert editor_post(client, translation, subject="x").status_code == 403
    response = client.post(
        f"/admin/mail/emailtemplatetranslation/{translation.pk}/preview/",
        {
            "template": translation.template_id,
            "language": "fr",
            "subject": translation.subject,
            "preheader": translation.preheader,
            "mjml": translation.mjml,
            "text_body": "",
        },
    )
    data = response.json()
    assert data["ok"] and data["subject"] == "Reçu de la facture INV-202611-8F3A21C0"
    for pane in ("light", "dark", "forced"):
        assert "Paiement reçu" in data["html"][pane]
    assert "Payment received" in data["reference"]  # the English beside it
    assert EmailTemplateTranslation.objects.get(pk=translation.pk).active_version.number == 1


def test_the_template_list_says_which_translations_are_missing(admin_client):
    EmailTemplateTranslation.objects.filter(template__key="invoice").delete()
    page = admin_client.get("/admin/mail/emailtemplate/").content.decode()
    assert page.count("missing: fr") == 1  # every other template ships in French
    invoice = EmailTemplate.objects.get(key="invoice")
    response = admin_client.get(f"/admin/mail/emailtemplate/{invoice.pk}/translations/")
    assert response.status_code == 302
    assert response["Location"].endswith(f"/add/?template={invoice.pk}&language=fr")


def test_a_batch_reads_languages_once_per_chunk_and_each_translation_once(settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.mail.services import emails_deliver, send_email_many
    from apps.mail.services.delivery import CHUNK

    settings.MAILERS = ANYMAIL_TEST
    mail.outbox = []
    french = [
        User.objects.create_user(email=f"fr{n}@example.fr", password=None, language="fr")
        for n in range(2 * CHUNK)
    ]
    english = [{"to": f"en{n}@example.com"} for n in range(CHUNK)]
    context = {"name": "Ada", "dashboard_url": "https://app.example/"}
    recipients = [{"to": u.email, "user_id": u.pk} for u in french] + english
    send_email_many(
        template_key="welcome", recipients=[{**r, "context": context} for r in recipients]
    )
    ids = list(OutboundEmail.objects.order_by("pk").values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as captured:
        emails_deliver(email_ids=ids)
    sql = [q["sql"] for q in captured.captured_queries]
    assert sum('FROM "accounts_user"' in q for q in sql) == 3  # one per chunk of 25
    assert sum('FROM "mail_emailtemplatetranslation"' in q for q in sql) == 1
    sent = dict(OutboundEmail.objects.values_list("to", "language"))
    assert {sent[u.email] for u in french} == {"fr"} and {sent[r["to"]] for r in english} == {"en"}
    assert sum(m.subject.startswith("Bienvenue") for m in mail.outbox) == 2 * CHUNK
