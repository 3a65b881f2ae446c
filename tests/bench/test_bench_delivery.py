"""Delivery: 2,000 personalized ~15 KB emails per round to a local SMTP sink, ours against the
transport's ceiling and against django-post-office, alternated in the same run.

- ours: the public API (`apps.mail.services.send_email_many` when it exists, else `send_email`
  per recipient in one transaction), delivered by a real `run_huey` consumer with the production
  settings (DEBUG off, SMTP mailer, outbox rows, delivery attempts, task history: full
  logging); the clock starts once every consumer has booted (what one sent before is not
  counted) and stops when the sink has every email and the last outbox row, attempt row and
  history row is written;
- bare Django: one `send_messages` call over one SMTP connection with the same rendered subject,
  HTML and text (rendered before the clock: this is the transport's ceiling, nothing logged);
- django-post-office: `send_many` (its queue, the template rendered on delivery with the same
  context) then its real `send_queued_mail_until_done` (what `manage.py send_queued_mail` runs),
  log level 2 (every send logged); the clock stops when it returns and the sink has every email.

Enqueue rates: our outbox (rows committed, tasks in Redis, history rows written) vs
post-office's `send_many`. Targets: delivery with one consumer >= 1.0x bare `send_messages`
(issue 21; issue 18 asked 0.9x with each email's sent state written as it goes), with two
consumer processes >= 1.6x; enqueue >= 2x post-office. The sink counts in memory and is read
over HTTP: it does nothing per message that could hold back the one-connection peer.
"""

import pytest

from apps.mail import services
from apps.mail.defaults import sync_email_templates
from tests.bench.delivery_contenders import (
    EMAILS,
    BareSendMessages,
    Ours,
    PostOffice,
)
from tests.bench.harness import Series, alternate, note, record

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_queue]


def test_delivery_against_send_messages_and_post_office(sink, tmp_path):
    sync_email_templates()
    contenders = [
        Ours(sink, tmp_path),
        Ours(sink, tmp_path, processes=2),
        BareSendMessages(sink, tmp_path),
        PostOffice(sink, tmp_path),
    ]
    ours, two, bare, post_office = contenders
    series = alternate({c.name: c for c in contenders}, label="delivery", unit="emails/s")
    kb = sum(ours.kb) / len(ours.kb)
    subject = f"delivery, {EMAILS:,} personalized emails (~{kb:.0f} KB) to an SMTP sink"
    ceiling = (
        "the bare peer's bodies are rendered before its clock and nothing is logged: the "
        "transport's ceiling"
    )
    record(
        subject,
        ours=series[ours.name],
        peer=series[bare.name],
        peer_name="bare send_messages, 1 connection",
        unit="emails/s",
        target_ratio=1.0,
        note=ceiling,
    )
    record(
        f"{subject}, 2 consumer processes",
        ours=series[two.name],
        peer=series[bare.name],
        peer_name="bare send_messages, 1 connection",
        unit="emails/s",
        target_ratio=1.6,
    )
    record(
        subject,
        ours=series[ours.name],
        peer=series[post_office.name],
        peer_name="post-office send_queued",
        unit="emails/s",
    )
    enqueue = {c.name: Series(c.name, "emails/s", c.enqueue_rates) for c in (ours, post_office)}
    how = "send_email_many" if hasattr(services, "send_email_many") else "send_email x N"
    record(
        f"enqueue {EMAILS:,} emails ({how}, one transaction)",
        ours=enqueue[ours.name],
        peer=enqueue[post_office.name],
        peer_name="post-office send_many",
        unit="emails/s",
        target_ratio=2.0,
    )
    sizes = ", ".join(f"{c.name} {sum(c.kb) / len(c.kb):.1f} KB" for c in contenders)
    note(f"delivery: message sizes at the sink: {sizes}")
