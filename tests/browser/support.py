"""What the browser tests share: screenshots, signing in, and the email studio's page."""

import time

from django.conf import settings
from django.contrib.auth.models import Group
from playwright.sync_api import Error as PlaywrightError

from apps.mail.models import EmailTemplate
from tests.conftest import load_shipped_templates
from tests.factories import make_user

SHOTS = settings.BASE_DIR / "var" / "screenshots"
OPERATOR_EMAIL, OPERATOR_PASSWORD = "olga.operator@summasaas.example", "operator-password-123"


def shoot(page, name: str, *, paint_ms: int = 300, full_page: bool = True) -> None:
    """Save a screenshot under var/screenshots/, once charts have animated in and preview
    frames painted (`paint_ms`)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    if paint_ms:
        page.wait_for_timeout(paint_ms)
    page.screenshot(path=str(SHOTS / name), full_page=full_page)


def sign_in(page, base: str, email: str, password: str) -> None:
    """Log in through the console's form and wait for the dashboard."""
    page.goto(f"{base}/admin/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/")


def make_operator(*roles: str) -> None:
    """Olga: staff but not a superuser, in the groups `roles`, with a password to sign in with."""
    user = make_user(email=OPERATOR_EMAIL, is_staff=True)
    user.set_password(OPERATOR_PASSWORD)
    user.save()
    user.groups.add(*Group.objects.filter(name__in=roles))


# --- the email studio ---------------------------------------------------------------------


def open_studio(page, base: str, height: int):
    """Open the shipped welcome template in the studio and wait for its first preview; return
    the template."""
    load_shipped_templates()
    template = EmailTemplate.objects.get(key="welcome")
    page.set_viewport_size({"width": 1440, "height": height})
    page.goto(f"{base}/admin/mail/emailtemplate/{template.pk}/change/")
    wait_for_preview(page, "ok")
    return template


def settle(page) -> None:
    """Let the checks panel's spam score asks in flight finish, then leave the page: no request
    of the test may reach the live server once the test's database is gone."""
    page.wait_for_function(
        "() => !(+document.getElementById('studio-preview').dataset.spamAsking)", timeout=60_000
    )
    page.goto("about:blank")


def wait_for_preview(page, state: str, after: int = 0) -> None:
    page.wait_for_function(
        "([state, after]) => { const p = document.getElementById('studio-preview');"
        " return p.dataset.state === state && +p.dataset.renders > after; }",
        arg=[state, after],
    )


def wait_for_frame_text(page, name: str, text: str, timeout: float = 15) -> None:
    """Wait until preview frame `name` shows `text`: a frame is filled after the status says
    the render is done, and a render can be of an edit typed before the last one."""

    def shown(html) -> bool:
        return text in (html or "")

    _wait_in_frame(page, name, lambda pane: pane.content(), shown, timeout, repr(text))


BODY_BACKGROUND = "getComputedStyle(document.body).backgroundColor"
CARD_BACKGROUND = "getComputedStyle(document.querySelector('.em-card')).backgroundColor"


def wait_for_frame_value(page, name: str, expression: str, expected, timeout: float = 15):
    """Wait until `expression` reads `expected` in preview frame `name`: a document just put
    in has no styles yet."""

    def shown(value) -> bool:
        return value == expected

    what = f"{expression} == {expected!r}"
    _wait_in_frame(page, name, lambda pane: pane.evaluate(expression), shown, timeout, what)


def _wait_in_frame(page, name: str, read, shown, timeout: float, what: str) -> None:
    """Read preview frame `name` until `shown(read(frame))`. A newer render can refill the
    frame while we look, and Playwright refuses to read a frame that is navigating: that read
    is None."""
    deadline = time.monotonic() + timeout
    while not shown(seen := _read(frame(page, name), read)):
        assert time.monotonic() < deadline, (
            f"the {name} preview never showed {what} (last read: {seen!r:.200})"
        )
        page.wait_for_timeout(100)


def _read(pane, read):
    try:
        return read(pane)
    except PlaywrightError as error:
        if "navigat" not in str(error) and "context was destroyed" not in str(error):
            raise
        return None


def renders(page) -> int:
    return int(page.get_attribute("#studio-preview", "data-renders"))


def editor_line(page, number: int):
    return page.locator(".CodeMirror[data-field=mjml] .CodeMirror-code > div").nth(number - 1)


def error_lines(page) -> list[int]:
    return page.evaluate(
        "() => { const cm = document.querySelector('.CodeMirror[data-field=mjml]').CodeMirror;"
        " const found = []; cm.eachLine(h => { if ((h.bgClass || '').includes('studio-line-error'))"
        " found.push(cm.getLineNumber(h) + 1); }); return found; }"
    )


def frame(page, name: str):
    return page.locator(f"#studio-frame-{name}").element_handle().content_frame()


def shoot_studio(page, name: str) -> None:
    """The studio as the window shows it, once the preview frames have painted."""
    shoot(page, name, paint_ms=250, full_page=False)


def french_edited_in_three_panes(page, url: str) -> None:
    """Open a French translation's editor, change its greeting without saving and show light,
    own dark and forced dark side by side (asserting they are)."""
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(url)
    wait_for_preview(page, "ok")
    before = renders(page)
    page.evaluate(
        "() => { const cm = document.querySelector('.CodeMirror[data-field=mjml]').CodeMirror;"
        " cm.setValue(cm.getValue().replace('Bienvenue à bord', 'Bienvenue parmi nous')); }"
    )
    wait_for_preview(page, "ok", before)
    page.click("[data-mode=both]")
    boxes = [page.locator(f"#studio-frame-{n}").bounding_box() for n in ("light", "dark", "forced")]
    assert all(boxes) and boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"]  # side by side
