"""Text that cannot be stored as sent: NULs and lone surrogates (valid JSON, refused by
PostgreSQL) in every field of every provider's events are stored cleaned."""

import json

import pytest

from apps.mail.models import EmailEvent, OutboundEmail, Suppression
from tests.mail import webhook_payloads as payloads

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_anymail")]
POISON = "Jo\ud800hn \x00<\udfff>"  # json.dumps writes it as ASCII escapes: a valid body
POISONED = {
    "postmark": lambda: payloads.postmark_bounce(
        Description=POISON,
        Details="550 " + POISON,
        Tag=POISON,
        Subject=POISON,
        Metadata={"outbox_id": "1", "note": POISON, POISON: "a poisoned key"},
    ),
    "resend": lambda: payloads.resend_event(
        subject=POISON,
        tags={"note": POISON},
        bounce={
            "message": "The recipient's email provider sent a hard bounce message. " + POISON,
            "subType": POISON,
            "type": "Permanent",
        },
    ),
    "sendgrid": lambda: payloads.sendgrid_events(
        reason="550 " + POISON, category=[POISON], note=POISON
    ),
    "mailgun": lambda: payloads.mailgun_failed(
        tags=[POISON],
        **{
            "user-variables": {"outbox_id": "1", "note": POISON},
            "delivery-status": {"code": 550, "message": "550 " + POISON, "description": POISON},
        },
    ),
    "amazon_ses": lambda: payloads.ses_bounce(
        note=POISON,
        mail={
            **json.loads(payloads.ses_bounce()["Message"])["mail"],
            "commonHeaders": {"subject": POISON, "to": ["john@example.com"]},
            "headers": [{"name": "X-Metadata", "value": json.dumps({"note": POISON})}],
        },
    ),
}


def storable(event: EmailEvent) -> bool:
    from apps.text_input import poison_in

    texts = [
        event.event_id,
        event.message_id,
        event.recipient,
        event.reject_reason,
        event.description,
        event.mta_response,
        event.click_url,
    ]
    return poison_in(texts) is None and poison_in(event.payload) is None


@pytest.mark.parametrize("provider", payloads.PROVIDERS)
def test_nuls_and_lone_surrogates_in_any_field_are_stored_cleaned(client, sent_email, provider):
    if provider == "mailgun":  # Mailgun's message ids keep their angle brackets
        OutboundEmail.objects.filter(pk=sent_email.pk).update(
            message_id=f"<{sent_email.message_id}>"
        )
    response = payloads.post_json(client, provider, POISONED[provider]())
    assert response.status_code == 200, (response.status_code, response.content[:300])
    bounce = EmailEvent.objects.get(event_type="bounced")
    assert bounce.email == sent_email and all(storable(e) for e in EmailEvent.objects.all())
    assert "\ufffd" in json.dumps(bounce.payload, ensure_ascii=False)  # replaced, not dropped
    assert Suppression.objects.get().address == "john@example.com"


def test_poisoned_identifiers_are_stored_cleaned_and_a_poisoned_address_is_not_suppressed(
    client, sent_email
):
    payload = payloads.postmark_bounce(
        MessageID="883953f4\ud800", Email="john\ud800@example.com", ID="id\x00\udbff"
    )
    assert payloads.post_json(client, "postmark", payload).status_code == 200
    event = EmailEvent.objects.get()
    assert storable(event) and event.message_id == "883953f4\ufffd"
    assert event.recipient == "john\ufffd@example.com" and not Suppression.objects.exists()


def test_a_sendgrid_batch_with_one_poisoned_event_is_stored_whole(client, sent_email):
    clean, poisoned = payloads.sendgrid_events(reason="\ud800\x00")
    assert payloads.post_json(client, "sendgrid", [clean, poisoned]).status_code == 200
    assert EmailEvent.objects.count() == 2
    assert all(storable(event) for event in EmailEvent.objects.all())


@pytest.mark.parametrize(
    ("provider", "payload"),
    [
        (
            "amazon_ses",
            lambda: payloads.ses_bounce(
                bounce={
                    **json.loads(payloads.ses_bounce()["Message"])["bounce"],
                    "bounceType": "Transient",
                    "bounceSubType": "MailboxFull",
                }
            ),
        ),
        (
            "amazon_ses",
            lambda: payloads.ses_bounce(
                bounce={
                    **json.loads(payloads.ses_bounce()["Message"])["bounce"],
                    "bounceType": "Undetermined",
                    "bounceSubType": "Undetermined",
                }
            ),
        ),
        (
            "resend",
            lambda: payloads.resend_event(
                bounce={
                    "message": "The recipient's email provider sent a bounce message because the "
                    "recipient's inbox was full.",
                    "subType": "MailboxFull",
                    "type": "Transient",
                }
            ),
        ),
    ],
)
def test_a_bounce_the_provider_calls_transient_is_stored_but_does_not_suppress(
    client, sent_email, provider, payload
):
    # A full mailbox takes mail again later: suppressing it would silence the address for good.
    assert payloads.post_json(client, provider, payload()).status_code == 200
    assert EmailEvent.objects.get().event_type == "bounced"
    assert not Suppression.objects.exists()
