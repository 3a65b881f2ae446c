from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.urls import reverse

from apps.mail.services import send_email


class EmailPasswordResetForm(PasswordResetForm):
    """Django's password reset, sending our `password_reset` email template."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email,
                  to_email, html_email_template_name=None):  # fmt: skip
        user = context["user"]
        path = reverse("password_reset_confirm", args=[context["uid"], context["token"]])
        send_email(
            template_key="password_reset",
            to=to_email,
            context={
                "name": user.get_short_name(),
                "reset_url": settings.SITE_URL + path,
                "expires_in_days": str(settings.PASSWORD_RESET_TIMEOUT // 86400),
            },
            dedupe_key=f"password_reset:{user.pk}:{context['token']}",
            user_id=user.pk,
        )
