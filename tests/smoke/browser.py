"""An HTTP client that behaves like a browser behind the platform's TLS proxy.

fly.io terminates TLS and forwards plain HTTP with `X-Forwarded-Proto: https` and the public
`Host`; the deployment trusts that header (SECURE_PROXY_SSL_HEADER), so its cookies are
`Secure` and its CSRF check wants an `Origin` of https://<host>. This client speaks to gunicorn
the same way: the proxy's headers on every request, `Secure` cookies noted and sent back (the
client stands where the browser's TLS connection would end), `Origin` on every POST as a
browser sends it, links of the public site (https://<host>/...) followed to gunicorn, and
redirects (and htmx's `HX-Redirect`) followed by hand so that none leaves for the real host
name. Forms are filled from
the page's own HTML, CSRF token included (tests/smoke/html_forms.py).
"""

from urllib.parse import urljoin, urlsplit

import requests

from .html_forms import Form, forms_in


class Browser:
    """One visitor (its own cookies) of the deployment at `base`, reached as `host`; with
    `machine=True` a program instead (a provider, Stripe, an API client): no `Origin`."""

    def __init__(self, base: str, host: str, *, machine: bool = False):
        self.base, self.host, self.machine = base, host, machine
        self.session = requests.Session()
        self.secure_cookies: set[str] = set()  # names of the cookies the site set `Secure`
        self.session.headers.update({"Host": host, "X-Forwarded-Proto": "https"})

    def url(self, link: str) -> str:
        """Where a path, or a link to the public site, is served by gunicorn."""
        parts = urlsplit(link)
        if parts.netloc and parts.netloc != self.host:
            raise AssertionError(f"{link} leaves the site")
        return self.base + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    def request(self, method: str, link: str, **kwargs) -> requests.Response:
        """The final answer, redirects followed within the site (each one kept in `.history`)."""
        history, url = [], self.url(link)
        if method.upper() != "GET" and not self.machine:
            kwargs.setdefault("headers", {}).setdefault("Origin", f"https://{self.host}")
        for _ in range(10):
            response = self.session.request(
                method, url, allow_redirects=False, timeout=60, **kwargs
            )
            self._behind_tls()
            # htmx follows an `HX-Redirect` answer (the console's dialogs end with one).
            location = response.headers.get("Location" if response.is_redirect else "HX-Redirect")
            if not location:
                response.history = history
                return response
            history.append(response)
            here = f"https://{self.host}{urlsplit(url).path}"
            target = urljoin(here, location)
            url, method, kwargs = self.url(target), "GET", {}
        raise AssertionError(f"more than 10 redirects from {link}")

    def _behind_tls(self) -> None:
        """`Secure` cookies go back over this plain-HTTP hop: the browser's connection to the
        proxy is HTTPS. The flag is noted, then cleared (requests would withhold them)."""
        for cookie in self.session.cookies:
            if cookie.secure:
                self.secure_cookies.add(cookie.name)
                cookie.secure = False

    def get(self, link: str, **kwargs) -> requests.Response:
        return self.request("GET", link, **kwargs)

    def post(self, link: str, **kwargs) -> requests.Response:
        return self.request("POST", link, **kwargs)

    def delete(self, link: str, **kwargs) -> requests.Response:
        return self.request("DELETE", link, **kwargs)

    def form(self, page: requests.Response, action: str = "") -> Form:
        """The form of `page` posting to `action` (a path; "" for the page's own URL)."""
        here = urlsplit(page.url)
        own = here.path + (f"?{here.query}" if here.query else "")
        target = action or own
        found = forms_in(page.text, page_path=own)
        matching = [f for f in found if target in (f.action, urlsplit(f.action).path)]
        assert matching, f"no form posting to {target!r} on {page.url}: {[f.action for f in found]}"
        return matching[0]

    def submit(self, page: requests.Response, action: str = "", fields=None, files=None):
        """Post the page's form as a browser does (its hidden fields and CSRF token kept), with
        `fields` changed (a value replaces the field's, None drops it)."""
        form = self.form(page, action)
        return self.post(form.action, data=form.data(fields), files=files)

    @property
    def csrf_token(self) -> str:
        """The CSRF cookie's value, as the console's scripts send it in `X-CSRFToken`."""
        return self.session.cookies.get("csrftoken", "")
