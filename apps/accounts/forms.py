from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password

from .models import Organization, User


def _no_nul(value: str) -> None:
    if "\x00" in value:
        raise forms.ValidationError("This field cannot contain a NUL character.")


def _email_field(**attrs) -> forms.EmailField:
    """A customer's address: at most 254 characters (RFC 5321's limit), no NUL."""
    return forms.EmailField(
        label="Email address",
        max_length=254,
        validators=[_no_nul],
        widget=forms.EmailInput(attrs=attrs),
    )


class LoginForm(AuthenticationForm):
    """Sign in with the email address and password."""

    username = _email_field(autofocus=True, autocomplete="email")


class SignupForm(forms.Form):
    """A new customer: their login and their organization."""

    email = _email_field(autocomplete="email")
    password = forms.CharField(
        label="Password",
        max_length=128,
        strip=False,
        validators=[_no_nul],
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not only digits, not a common password.",
    )
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


class PasswordResetRequestForm(forms.Form):
    """The address to send a reset link to (the queued task decides whether it has one)."""

    email = _email_field(autocomplete="email")


class VerificationResendForm(forms.Form):
    email = _email_field()


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label="Language of our emails", choices=settings.LANGUAGES)
