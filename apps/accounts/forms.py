from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.password_validation import validate_password
from django.urls import reverse

from apps.mail.services import send_email

from .models import Organization, User


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
                "expires_in_days": str(settings.PASSWORD_RESET_TIMEOUT // 86400),
            },
            # Kept encrypted apart from the context: no staff member may read a reset link.
            secrets={"reset_url": settings.SITE_URL + path},
            dedupe_key=f"password_reset:{user.pk}:{context['token']}",
            user_id=user.pk,
        )


def _no_nul(value: str) -> None:
    if "\x00" in value:
        raise forms.ValidationError("This field cannot contain a NUL character.")


class LoginForm(AuthenticationForm):
    """Sign in with the email address and password."""

    username = forms.EmailField(
        label="Email address", max_length=254, validators=[_no_nul],
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )  # fmt: skip


class SignupForm(forms.Form):
    """A new customer: their login and their organization."""

    email = forms.EmailField(
        label="Email address", max_length=254, validators=[_no_nul],
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )  # fmt: skip
    password = forms.CharField(
        label="Password", max_length=128, strip=False, validators=[_no_nul],
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not only digits, not a common password.",
    )  # fmt: skip
    organization_name = forms.CharField(
        label="Organization name",
        max_length=Organization._meta.get_field("name").max_length,
        validators=[_no_nul],
    )
    language = forms.ChoiceField(
        label="Language of our emails", choices=settings.LANGUAGES, initial="en"
    )

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"]).lower()

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("email"):
            try:
                validate_password(data["password"], User(email=data["email"]))
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data


class VerificationResendForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254, validators=[_no_nul])


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label="Language of our emails", choices=settings.LANGUAGES)
