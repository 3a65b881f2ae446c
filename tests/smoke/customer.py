"""A customer who signs up on the deployment as a person does: the signup form, the
verification link read from the email the SMTP sink received, then the login form."""

import re
from dataclasses import dataclass, field

import requests

from .browser import Browser
from .deployment import SITE_URL, Deployment, Mail

EMAIL, PASSWORD = "ada@smoke.example", "a-long-customer-password-42"
ORGANIZATION = "Smoke Labs"
LINK = re.compile(re.escape(SITE_URL) + r"/[^\s\"'<>]+")


@dataclass
class Customer:
    email: str
    password: str
    browser: Browser  # signed in
    steps: dict[str, requests.Response] = field(default_factory=dict)  # the flow's answers
    verification: Mail | None = None


def links(mail: Mail, path: str) -> list[str]:
    """The site's links under `path` in an email (its text and HTML parts, decoded from the
    raw bytes the sink received)."""
    found = []
    for part in mail.message.walk():
        if part.get_content_maintype() == "text":
            found += [link for link in LINK.findall(part.get_content()) if path in link]
    return list(dict.fromkeys(link.rstrip(".,)") for link in found))


def sign_in(browser: Browser, email: str, password: str) -> requests.Response:
    page = browser.get("/accounts/login/")
    return browser.submit(page, "/accounts/login/", {"username": email, "password": password})


def sign_up(deployment: Deployment) -> Customer:
    browser, steps = deployment.browser(), {}
    form = browser.get("/accounts/signup/")
    fields = {
        "email": EMAIL,
        "password": PASSWORD,
        "organization_name": ORGANIZATION,
        "language": "en",
    }
    steps["signup"] = browser.submit(form, "/accounts/signup/", fields)
    verification = deployment.sink.wait_for(EMAIL, "Confirm your email address")
    (link,) = links(verification, "/accounts/verify/")
    steps["verify"] = browser.get(link)
    steps["login"] = sign_in(browser, EMAIL, PASSWORD)
    return Customer(EMAIL, PASSWORD, browser, steps, verification)
