"""Provider tracking webhooks on the deployment, posted as each provider posts them: its
documented delivered, bounce, complaint, open and click events with its own credentials (basic
auth WEBHOOK_SECRET; Resend's svix signature; Mailgun's HMAC; SES inside SNS notifications),
no cookie and no CSRF token. What gunicorn stored is read back from the database: one event
per post (none twice when the provider redelivers), and the bounced and complaining addresses
suppressed.
"""

import base64
import hashlib
import json
import uuid

import pytest

from apps.text_input import poison_in
from tests.mail import webhook_payloads as payloads

from . import provider_events
from .provider_events import KINDS, address

pytestmark = pytest.mark.xdist_group("smoke")
SUPPRESSES = {"bounced": "bounce", "complained": "complaint"}


def post(deployment, provider: str, body, **headers):
    raw = json.dumps(body).encode()
    # Resend's svix-id names the event, the same on each redelivery of it.
    svix_id = "msg_" + hashlib.sha256(raw).hexdigest()[:24]
    signed = {**payloads.headers_for(provider, raw, svix_id=svix_id), **headers}
    return deployment.machine().post(
        f"/webhooks/{provider}/tracking/",
        data=raw,
        headers=signed | {"Content-Type": "application/json"},
    )


def stored(deployment, provider: str) -> set[tuple[str, str]]:
    rows = deployment.sql(
        "SELECT event_type, recipient FROM mail_emailevent WHERE recipient LIKE %s",
        f"%.{provider}@smoke.example",
    )
    return set(rows)


@pytest.mark.parametrize("provider", payloads.PROVIDERS)
def test_each_providers_documented_events_are_stored_and_suppress_as_they_should(
    deployment, provider
):
    message_id = f"smoke-{provider}-{uuid.uuid4().hex[:8]}"
    bodies = provider_events.posts(provider, message_id)
    for _attempt in range(2):  # providers redeliver: the second round stores nothing more
        for body in bodies:
            response = post(deployment, provider, body)
            assert response.status_code == 200, (provider, response.status_code, response.text)
    assert stored(deployment, provider) == {(kind, address(provider, kind)) for kind in KINDS}
    count = deployment.value(
        "SELECT count(*) FROM mail_emailevent WHERE recipient LIKE %s",
        f"%.{provider}@smoke.example",
    )
    assert count == len(KINDS)
    click = deployment.value(
        "SELECT click_url FROM mail_emailevent WHERE recipient = %s", address(provider, "clicked")
    )
    assert click == provider_events.CLICKED_URL
    suppressed = deployment.sql(
        "SELECT address, reason FROM mail_suppression WHERE address LIKE %s",
        f"%.{provider}@smoke.example",
    )
    assert set(suppressed) == {(address(provider, kind), r) for kind, r in SUPPRESSES.items()}


@pytest.mark.parametrize("provider", payloads.PROVIDERS)
def test_forged_credentials_are_refused_and_poisoned_text_is_stored_cleaned(deployment, provider):
    to = f"poisoned.{provider}@smoke.example"
    bodies = provider_events.posts(provider, "smoke-poison")
    bounce = [bodies[0][1]] if provider == "sendgrid" else bodies[1]  # SendGrid posts batches
    # A lone surrogate and a NUL in the message id (JSON escapes: the body is valid JSON).
    text = json.dumps(bounce).replace(address(provider, "bounced"), to)
    escape = "\\" * (2 if provider == "amazon_ses" else 1)  # SES: a JSON string in a JSON string
    text = text.replace('"smoke-poison', f'"smoke-{escape}ud800poison{escape}u0000')
    forged = "Basic " + base64.b64encode(b"anymail:guess").decode()
    refused = post(deployment, provider, json.loads(text), Authorization=forged)
    assert refused.status_code in (400, 401, 403) and "CSRF" not in refused.text
    assert not deployment.sql("SELECT 1 FROM mail_emailevent WHERE recipient = %s", to)
    accepted = post(deployment, provider, json.loads(text))
    assert accepted.status_code == 200, deployment.log()[-1500:]
    rows = deployment.sql(
        "SELECT message_id, payload FROM mail_emailevent WHERE recipient = %s", to
    )
    assert rows and poison_in([list(row) for row in rows]) is None
    assert (
        deployment.value("SELECT reason FROM mail_suppression WHERE address = %s", to) == "bounce"
    )
