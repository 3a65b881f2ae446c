"""Django's own template engine or the home-made FastTemplate for sends: does a user notice?

Issue 10.5: render with Django's engine unless FastTemplate changes a figure a user would
notice. Measured in one run, alternated: the delivery rate of the same 2,000 personalized
emails to an SMTP sink (ours with Django's engine, ours with FastTemplate swapped into the
consumer, and bare `send_messages` as the transport's ceiling), and the render rate itself
(subject + preheader + HTML + text for one recipient) with each engine.
"""

import os
import time

import pytest

from apps.mail.defaults import sync_email_templates
from apps.mail.services import render_for, system_context, template_active_version
from tests.bench.delivery_contenders import EMAILS, TEMPLATE, BareSendMessages, Ours
from tests.bench.harness import alternate, rate, record
from tests.bench.peers import fast_render

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_queue]
RENDERS = 2000


class OursFast(Ours):
    """Our outbox and consumer, the consumer's sends rendered with FastTemplate."""

    name = "ours, FastTemplate"

    def run(self, recipients, round_no):
        previous = os.environ["DJANGO_SETTINGS_MODULE"]
        os.environ["DJANGO_SETTINGS_MODULE"] = "tests.bench.peers.fast_render.settings"
        try:
            return super().run(recipients, round_no)
        finally:
            os.environ["DJANGO_SETTINGS_MODULE"] = previous


def test_render_engine_django_against_fasttemplate(sink, tmp_path):
    sync_email_templates()
    version = template_active_version(key=TEMPLATE)
    sample = version.sample_context

    def renders(render):
        def run(round_no: int) -> float:
            started = time.perf_counter()
            for i in range(RENDERS):
                address = f"user{i}@example.com"
                context = {
                    **system_context(address=address, category=version.category),
                    **sample,
                    "name": f"Recipient {i}",
                }
                rendered = render(version, context)
            assert f"Recipient {RENDERS - 1}" in rendered.html
            return rate(RENDERS, time.perf_counter() - started)

        return run

    from apps.mail.rendering import render as django_render

    assert render_for(version=version, address="a@example.com", context=sample) == django_render(
        version, {**system_context(address="a@example.com", category=version.category), **sample}
    )
    assert fast_render.render(version, {"name": "x", **sample}) == django_render(
        version, {"name": "x", **sample}
    )
    series = alternate(
        {"Django engine": renders(django_render), "FastTemplate": renders(fast_render.render)},
        label="render engine",
        unit="renders/s",
    )
    record(
        f"personalized render ({TEMPLATE}), Django engine vs FastTemplate",
        ours=series["Django engine"],
        peer=series["FastTemplate"],
        peer_name="FastTemplate (home-made)",
        unit="renders/s",
    )

    ours, fast, bare = (
        Ours(sink, tmp_path),
        OursFast(sink, tmp_path),
        BareSendMessages(sink, tmp_path),
    )
    ours.name = "ours, Django engine"
    delivery = alternate(
        {c.name: c for c in (ours, fast, bare)}, label="delivery by engine", unit="emails/s"
    )
    subject = f"delivery of {EMAILS:,} emails, Django engine vs FastTemplate"
    record(
        subject,
        ours=delivery[ours.name],
        peer=delivery[fast.name],
        peer_name="same, FastTemplate",
        unit="emails/s",
    )
    record(
        subject,
        ours=delivery[ours.name],
        peer=delivery[bare.name],
        peer_name="bare send_messages",
        unit="emails/s",
    )
