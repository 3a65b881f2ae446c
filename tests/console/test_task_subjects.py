"""Actions that do what they say (issue 19.1): a delivery task's failed email is retried with the
email's own retry, never by re-running a task that would send nothing; Retry is offered only
where it can work, on tasks and on emails, and refused by URL elsewhere."""

import pytest
from django.core import mail
from django.core.management import call_command

from apps.console.models import AuditEntry
from apps.console.roles import OPERATOR
from apps.jobs.models import TaskRun
from apps.mail.models import EmailEvent, OutboundEmail, Suppression
from apps.mail.services import send_email
from tests.console import refusing
from tests.console.studio_support import role_client, shipped  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped")]
LIST = "/admin/jobs/taskrun/"
OUTBOX = "/admin/mail/outboundemail/"
DELIVER = "apps.mail.tasks.email_deliver_task"


@pytest.fixture
def provider(settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.console.refusing.RefusingBackend"}}
    refusing.REFUSED.clear()
    mail.outbox = []
    yield mail.outbox
    refusing.REFUSED.clear()


def delivered_to(address: str) -> int:
    refused = [m for m in mail.outbox if hasattr(m, "anymail_test_response")]
    return sum(1 for m in mail.outbox if address in m.to and m not in refused)


def failed_delivery(django_capture_on_commit_callbacks, to="ada@example.com"):
    """An email the provider refused for good, and the delivery task that tried it."""
    refusing.REFUSED.add(to)
    with django_capture_on_commit_callbacks(execute=True):
        email = send_email(template_key="welcome", to=to, context={"name": "Ada"})
    email.refresh_from_db()
    assert email.status == "failed" and "inactive" in email.last_error
    run = TaskRun.objects.get(name=DELIVER, args=[[email.pk]])
    refusing.REFUSED.discard(to)  # the cause is fixed: the address works again
    return email, run


def test_a_failed_emails_delivery_task_offers_the_emails_retry_and_it_is_sent(
    provider, django_capture_on_commit_callbacks
):
    email, run = failed_delivery(django_capture_on_commit_callbacks)
    operator = role_client(OPERATOR)
    page = operator.get(f"{LIST}{run.pk}/change/").content.decode()
    assert "Retry its emails" in page and "Retry with the same arguments" not in page
    assert f'data-subject="{email.pk}" data-status="failed"' in page
    assert "inactive" in page  # the email's own error, on the task's page

    # Re-running the task itself would complete and send nothing: it is refused.
    assert operator.post(f"{LIST}{run.pk}/retry-run/").status_code == 403
    assert not TaskRun.objects.filter(retry_of=run.task_id).exists()

    confirm = operator.get(f"{LIST}{run.pk}/retry-subjects/").content.decode()
    assert "Retry 1 email" in confirm
    assert f"Email #{email.pk}: welcome to ada@example.com" in confirm
    with django_capture_on_commit_callbacks(execute=True):
        response = operator.post(f"{LIST}{run.pk}/retry-subjects/")
    assert response.url == f"{OUTBOX}{email.pk}/change/"  # where the operator sees it sent
    email.refresh_from_db()
    assert email.status == "sent" and delivered_to("ada@example.com") == 1
    assert AuditEntry.objects.get(action="email.retry").target_id == str(email.pk)
    assert AuditEntry.objects.get(action="task.retry_subjects").after == {"emails": [email.pk]}

    page = operator.get(f"{LIST}{run.pk}/change/").content.decode()
    assert "Retry its emails" not in page
    assert "Nothing to retry: its email is sent." in page


def test_retrying_failed_runs_in_bulk_retries_a_delivery_tasks_email_not_the_task(
    provider, django_capture_on_commit_callbacks
):
    email, run = failed_delivery(django_capture_on_commit_callbacks)
    TaskRun.objects.filter(pk=run.pk).update(state="error")  # its last transient try failed
    operator = role_client(OPERATOR)
    with django_capture_on_commit_callbacks(execute=True):
        response = operator.post(
            LIST, {"action": "retry_selected", "_selected_action": [run.pk]}, follow=True
        )
    assert "1 emails queued again" in response.content.decode()
    email.refresh_from_db()
    assert email.status == "sent" and not TaskRun.objects.filter(retry_of=run.task_id).exists()


def test_retry_is_offered_only_on_runs_that_ended_without_success(operator_client):
    runs = {
        state: TaskRun.objects.create(task_id=f"0f1e2d3c-{state}", name="x.flaky", state=state)
        for state in ("complete", "enqueued", "executing", "error", "lost")
    }
    body = operator_client.get(LIST).content.decode()
    for state, run in runs.items():
        url = f"{LIST}{run.pk}/retry/"
        assert (url in body) == (state in ("error", "lost")), state
        if state in ("complete", "enqueued", "executing"):
            assert operator_client.get(url).status_code == 403, state
            assert operator_client.post(url).status_code == 403, state
    assert not TaskRun.objects.exclude(retry_of="").exists()
    assert (
        "Retry with the same arguments"
        not in operator_client.get(f"{LIST}{runs['complete'].pk}/change/").content.decode()
    )


def test_a_delivery_run_whose_email_was_sent_says_there_is_nothing_to_retry(operator_client):
    email = OutboundEmail.objects.create(template_key="welcome", to="b@example.com", status="sent")
    run = TaskRun.objects.create(
        task_id="0f1e2d3c-sent", name=DELIVER, state="error", args=[[email.pk]]
    )
    confirm = operator_client.get(f"{LIST}{run.pk}/retry/").content.decode()
    assert "Nothing to retry: its email is sent." in confirm and 'name="confirm"' not in confirm
    operator_client.post(f"{LIST}{run.pk}/retry/")
    assert not TaskRun.objects.filter(retry_of=run.task_id).exists()
    assert not AuditEntry.objects.exists()


def emails_page(client, email: OutboundEmail) -> str:
    return client.get(f"{OUTBOX}{email.pk}/change/").content.decode()


def offered(page: str, email: OutboundEmail) -> set[str]:
    """The actions the email's page links to."""
    actions = ("retry", "resend", "mark_sent")
    return {action for action in actions if f'href="{OUTBOX}{email.pk}/{action}/"' in page}


def test_a_bounced_email_offers_neither_retry_nor_mark_sent_and_says_why(provider):
    email = OutboundEmail.objects.create(
        template_key="welcome", to="gone@example.com", status="sent", attempts=1
    )
    event = EmailEvent.objects.create(
        email=email,
        esp_name="postmark",
        event_type="bounced",
        recipient=email.to,
        reject_reason="bounced",
        description="The server was unable to deliver your message",
        mta_response="550 5.1.1 mailbox unavailable",
        fingerprint="b-1",
    )
    Suppression.objects.create(address=email.to, reason="bounce", source_event=event)
    operator = role_client(OPERATOR)
    page = emails_page(operator, email)
    assert offered(page, email) == set()
    assert "550 5.1.1 mailbox unavailable" in page  # the reason, on the email's first tab
    assert "gone@example.com is suppressed (Hard bounce)" in page
    for action in ("retry", "mark_sent", "resend"):
        response = operator.post(f"{OUTBOX}{email.pk}/{action}/", {"_form_submitted": "on"})
        assert response.status_code == 403, action
    assert OutboundEmail.objects.count() == 1 and not AuditEntry.objects.exists()
    assert f"{OUTBOX}{email.pk}/retry/" not in operator.get(OUTBOX).content.decode()


def test_each_email_offers_the_actions_that_work_on_it(provider):
    operator = role_client(OPERATOR)
    failed = OutboundEmail.objects.create(
        template_key="welcome", to="f@example.com", status="failed", last_error="422 inactive"
    )
    unknown = OutboundEmail.objects.create(
        template_key="welcome", to="u@example.com", status="unknown"
    )
    queued = OutboundEmail.objects.create(template_key="welcome", to="q@example.com")
    assert offered(emails_page(operator, failed), failed) == {"retry", "resend"}
    assert offered(emails_page(operator, unknown), unknown) == {"retry", "resend", "mark_sent"}
    assert offered(emails_page(operator, queued), queued) == set()
    listing = operator.get(OUTBOX).content.decode()
    assert f"{OUTBOX}{failed.pk}/retry/" in listing and f"{OUTBOX}{unknown.pk}/retry/" in listing
    assert f"{OUTBOX}{queued.pk}/retry/" not in listing


def test_jobs_retry_retries_a_delivery_tasks_email_instead_of_the_task(
    provider, django_capture_on_commit_callbacks, capsys
):
    email, run = failed_delivery(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("jobs_retry", run.task_id, "--by", "ops@summasaas.example")
    assert f"emails #{email.pk} queued again (not re-run)" in capsys.readouterr().out
    email.refresh_from_db()
    assert email.status == "sent" and not TaskRun.objects.filter(retry_of=run.task_id).exists()
    assert AuditEntry.objects.get(action="email.retry").actor_email == "ops@summasaas.example"
