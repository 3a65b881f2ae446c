from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .exceptions import AccountsError
from .services import user_email_verify
from .tokens import read_verification_token


@require_GET
def email_verify(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the verification email: marks the address verified, or says why not."""
    try:
        data = read_verification_token(token)
        user = user_email_verify(user_id=data["u"], email=data["e"])
    except signing.SignatureExpired:
        reason = "This verification link has expired. Sign in and ask for a new one."
    except (signing.BadSignature, AccountsError) as error:
        reason = (
            str(error)
            if isinstance(error, AccountsError)
            else ("This verification link is not valid: it was changed or cut short.")
        )
    else:
        return render(request, "mail/verify_done.html", {"email": user.email})
    return render(request, "mail/link_invalid.html", {"reason": reason}, status=400)
