"""Emails in the recipient's language down to their dates, numbers and money (issue 19.4).

On 01ea189 a French email read "le December 3, 2026", "Votre mois de October 2026", "8,150",
"81.5 %", "49.00 USD" and "de Acme": senders wrote them out in English before the language
was known. Now they pass plain data and the email renders it with Django's localization in
its version's language (apps/mail/localize.py). ops_alert, payment_failed and
subscription_ended had no French version; a French version could not be test-sent; a
recipient without a name was greeted by their address.
"""

import re

import pytest
from django.core import mail

from apps.accounts.services import customer_signup
from apps.billing.services import subscription_start, usage_record
from apps.console.roles import SENDER
from apps.console.studio.services import studio_test_send
from apps.mail.models import EmailTemplate, OutboundEmail
from apps.mail.qa.emails import active_versions
from apps.mail.services import render_for
from tests.console.studio_support import role_client
from tests.factories import make_organization, make_plan, make_user

pytestmark = pytest.mark.django_db

MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
    "|Jan\\.|Feb\\.|Aug\\.|Sept\\.|Oct\\.|Nov\\.|Dec\\."
)
ENGLISH = {
    "an English month": re.compile(rf"\b(?:{MONTHS})(?=\W)"),
    "an English thousands separator": re.compile(r"\d,\d{3}\b"),
    "an English decimal point": re.compile(r"\b\d+\.\d+\b"),
    "an English amount": re.compile(r"\$\s?\d|\d\.\d{2} [A-Z]{3}"),
}
URL = re.compile(r"https?://\S+|\(https?://[^)]*\)")


def english_formats(text: str) -> list[str]:
    visible = URL.sub(" ", text)
    return [f"{what}: {m.group()!r}" for what, rx in ENGLISH.items() for m in rx.finditer(visible)]


def test_every_template_has_a_french_version_free_of_english_formats(templates):
    versions = active_versions()
    english = {v.template.key for v in versions if v.language == "en"}
    french = {v.template.key: v for v in versions if v.language == "fr"}
    assert len(english) == 15 and set(french) == english
    for key, version in french.items():
        rendered = render_for(
            version=version, address="ada@example.com", context=version.sample_context
        )
        for part in (rendered.subject, rendered.preheader, rendered.text):
            assert english_formats(part) == [], (key, part[:300])


def test_the_english_versions_keep_their_english_formats(templates):
    version = EmailTemplate.objects.get(key="quota_alert_80").active_version
    rendered = render_for(
        version=version, address="ada@example.com", context=version.sample_context
    )
    assert rendered.subject == "Acme Research has used 81.5 % of this month's characters"
    assert "8,150 of its 10,000 characters for November 2026" in " ".join(rendered.text.split())


@pytest.fixture
def provider(settings):
    settings.MAILERS = {"default": {"BACKEND": "anymail.backends.test.EmailBackend"}}
    settings.MAIL_TEST_RECIPIENTS = ["qa@summasaas.example"]
    mail.outbox = []
    return mail.outbox


def test_a_french_owner_gets_the_quota_alert_and_renewal_in_french_formats(
    templates, provider, django_capture_on_commit_callbacks
):
    owner = make_user("zoe@acme.example", full_name="Zoé Martin", language="fr")
    organization = make_organization("Acme", plan=make_plan(characters=10_000), owner=owner)
    with django_capture_on_commit_callbacks(execute=True):
        usage_record(organization=organization, characters=8_150)
        subscription_start(organization=organization, plan=make_plan("pro", 1_000_000, "1049"))
    alert = next(m for m in provider if "caractères de ce mois" in m.subject)
    confirmed = next(m for m in provider if m.subject == "Vous êtes sur le forfait Pro")
    assert alert.subject == "Acme a utilisé 81,5 % des caractères de ce mois"
    body = " ".join(alert.body.split())
    assert "Bonjour Zoé, Acme a utilisé 8 150 de ses 10 000 caractères pour " in body
    assert re.search(
        r"pour (janvier|février|mars|avril|mai|juin|juillet|août|septembre|"
        r"octobre|novembre|décembre) 20\d\d\.",
        body,
    ), body
    confirmed_body = " ".join(confirmed.body.split())
    assert "1 049,00 USD / mois" in confirmed_body and "1 000 000" in confirmed_body
    assert english_formats(body) == [] and english_formats(confirmed_body) == []


def test_a_customer_without_a_name_is_greeted_without_their_address(
    templates, provider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        customer_signup(
            email="zoe.walk@example.org", organization_name="Walk", password="x" * 12, language="fr"
        )
    welcome = next(m for m in provider if "Bienvenue" in m.subject)
    assert welcome.subject == "Bienvenue sur SummaSaaS"
    assert "Bienvenue à bord" in welcome.body and "zoe.walk@example.org" not in welcome.subject


def test_a_french_version_can_be_test_sent_from_the_studio(
    templates, provider, django_capture_on_commit_callbacks
):
    client = role_client(SENDER, email="sender@summasaas.example")
    template = EmailTemplate.objects.get(key="invoice")
    url = f"/admin/mail/emailtemplate/{template.pk}/test_send/"
    form = client.get(url).content.decode()
    assert 'value="fr"' in form
    data = {"_form_submitted": "on", "to": "qa@summasaas.example", "language": "fr"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 200 and response.headers["HX-Redirect"]
    email = OutboundEmail.objects.get()
    assert email.language == "fr" and email.version.language == "fr" and email.is_test
    [sent] = provider
    assert sent.subject == "Reçu de la facture INV-202611-8F3A21C0"
    assert "49,00 USD" in sent.body and "1 novembre 2026" in sent.body


def test_a_test_send_in_a_language_without_a_translation_is_refused(templates):
    user = make_user("sender@summasaas.example", is_staff=True)
    template = EmailTemplate.objects.get(key="invoice")
    template.translations.all().delete()
    with pytest.raises(ValueError, match="no active 'fr' translation"):
        studio_test_send(actor=user, template=template, to=user.email, language="fr")
    assert not OutboundEmail.objects.exists()
