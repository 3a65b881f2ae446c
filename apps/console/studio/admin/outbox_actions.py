"""The send log's actions: retry, resend and mark sent, on one email or the selected ones.

Each is offered (and allowed by URL) only on the emails where it can work: Retry on a failed
or interrupted one, Mark sent on an interrupted one, Resend on any email that is not on its way
and whose address is not suppressed (the copy would be suppressed too). Each goes through the
studio's services (audited).
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from apps.mail.exceptions import SecretsGoneError
from apps.mail.models import OutboundEmail, Suppression

from ...objects import admin_object_or_404
from ...row_buttons import row_button
from .. import services
from .common import dialog_action, hx_redirect_to

Status = OutboundEmail.Status
RETRYABLE_EMAIL = (Status.FAILED, Status.UNKNOWN)


def suppression_of(address: str) -> Suppression | None:
    """The suppression that stops every send to `address`, if any."""
    return Suppression.objects.filter(address=address.lower()).first()


def settle_action(name: str, service, *, done, refused, **dialog):
    """A dialog action (`dialog_action`'s arguments) that calls `service` on the email, which
    answers True when done or False when the email's status refuses it, and says which.

    `name` is the attribute it is assigned to: unfold checks a detail action's permission
    against the email only when the function bears the name listed in `actions_detail`.
    """

    def settle(self, request, form, object_id):
        return self._settle(request, object_id, service, done=done, refused=refused)

    settle.__name__ = settle.__qualname__ = name
    return dialog_action(**dialog)(settle)


class OutboxActions:
    """The send log admin's actions (on an OperatorMixin admin)."""

    action_limit = 1000  # emails one bulk action takes (the list is never counted)
    operator_columns = ("retry_button",)

    def has_retry_email_permission(self, request, object_id=None) -> bool:
        return self.may_operate(request, object_id, lambda email: email.status in RETRYABLE_EMAIL)

    def has_mark_sent_email_permission(self, request, object_id=None) -> bool:
        return self.may_operate(request, object_id, lambda email: email.status == Status.UNKNOWN)

    def has_resend_email_permission(self, request, object_id=None) -> bool:
        return self.may_operate(
            request,
            object_id,
            lambda email: (
                email.status not in (Status.QUEUED, Status.SENDING)
                and suppression_of(email.to) is None
            ),
        )

    @display(description="")
    def retry_button(self, obj):
        """Retry on the rows where it works, opening the same confirmation as the email page."""
        if obj.status not in RETRYABLE_EMAIL:
            return ""
        url = reverse("admin:mail_outboundemail_retry", args=[obj.pk])
        return format_html(
            row_button(str(_("Retry")), css_class="self-center", dialog=True), url=url
        )

    retry = settle_action(
        "retry",
        services.studio_email_retry,
        done=_("Email queued for another attempt."),
        refused=_("Only failed or unknown emails can be retried; this one is %(s)s."),
        description=_("Retry"),
        icon="replay",
        permission="retry_email",
        title=_("Retry this email?"),
        explanation=_(
            "A failed email, or one whose delivery was interrupted (unknown: the recipient "
            "may already have it), is queued for one more delivery attempt."
        ),
    )

    @dialog_action(
        description=_("Resend"),
        icon="forward_to_inbox",
        permission="resend_email",
        title=_("Send this email again?"),
        explanation=_(
            "A copy (same recipient, data and template version) is queued as a new outbox row."
        ),
    )
    def resend(self, request, form, object_id):
        email = self._email(request, object_id)
        copy = self._try(request, services.studio_email_resend, email)
        if copy is None:
            return hx_redirect_to(email)
        messages.success(request, _("Queued again to %(to)s.") % {"to": copy.to})
        return hx_redirect_to(copy)

    mark_sent = settle_action(
        "mark_sent",
        services.studio_email_mark_sent,
        done=_("Email marked sent."),
        refused=_("Only unknown emails can be marked sent; this one is %(s)s."),
        description=_("Mark sent"),
        icon="mark_email_read",
        permission="mark_sent_email",
        title=_("Mark this email sent?"),
        explanation=_(
            "Its delivery was interrupted mid-send. Mark it sent when you know it arrived "
            "(for example the recipient confirmed it); nothing is sent."
        ),
    )

    def _settle(self, request, object_id, service, *, done, refused):
        """The email's own action (True done, False refused by its status), said in a message;
        then back to the email's page."""
        email = self._email(request, object_id)
        settled = self._try(request, service, email)
        if settled:
            messages.success(request, done)
        elif settled is False:
            messages.warning(request, refused % {"s": email.status})
        return hx_redirect_to(email)

    @staticmethod
    def _try(request, service, email):
        """The service's answer, or None with the reason shown when the email's link is gone."""
        try:
            return service(actor=request.user, email=email)
        except SecretsGoneError as error:
            messages.error(request, str(error))
            return None

    @admin.action(description=_("Retry selected failed or unknown emails"), permissions=["operate"])
    def retry_selected(self, request, queryset):
        retried = sum(
            bool(self._try(request, services.studio_email_retry, email))
            for email in queryset.filter(status__in=["failed", "unknown"])[: self.action_limit]
        )
        messages.success(request, _("%(n)s email(s) queued again.") % {"n": retried})

    @admin.action(description=_("Resend selected emails"), permissions=["operate"])
    def resend_selected(self, request, queryset):
        copies = [
            self._try(request, services.studio_email_resend, email)
            for email in queryset[: self.action_limit]
        ]
        sent = sum(copy is not None for copy in copies)
        messages.success(request, _("%(n)s email(s) queued again.") % {"n": sent})

    def _email(self, request, object_id):
        if not self.has_operate_permission(request):
            raise PermissionDenied
        return admin_object_or_404(self, request, object_id)
