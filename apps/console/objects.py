"""The object a custom admin URL names, or a 404: odd ids are unknown ids, as in Django's views.

Django's own admin views read `<path:object_id>` through `ModelAdmin.get_object`, which treats a
value its primary key cannot hold ("abc", "²", a NUL) as "no such object". The console's
custom URLs (actions, previews, comparisons) do the same through these two helpers instead of
`get_object_or_404(Model, pk=...)`, which raises ValueError (a 500) on such ids.
"""

import functools

from django.contrib.admin.utils import unquote
from django.http import Http404
from django.urls import URLPattern, path


def admin_object_or_404(model_admin, request, object_id):
    """The object `object_id` names among those the model admin shows, or Http404."""
    obj = model_admin.get_object(request, unquote(str(object_id)))
    if obj is None:
        raise Http404(f"No {model_admin.opts.verbose_name} with this id.")
    return obj


def admin_path(owner, route: str, view, name: str, /, **kwargs) -> URLPattern:
    """A custom page of the model admin `owner` at `route`, named `admin:<name>`, behind the
    admin's login (`admin_view`); `kwargs` (a view's `model_admin`, say) go to the view."""
    return path(route, owner.admin_site.admin_view(view), kwargs or None, name=name)


def object_view(model_admin, view):
    """Wrap a view taking `object_id`: a 404 before it runs when the id names nothing."""

    @functools.wraps(view)
    def wrapper(request, *args, object_id, **kwargs):
        admin_object_or_404(model_admin, request, object_id)
        return view(request, *args, object_id=object_id, **kwargs)

    return wrapper


# Django's own object views: an unknown id there redirects to the index with a message.
_DJANGO_OBJECT_VIEWS = ("change", "delete", "history")


class ObjectUrlsMixin:
    """Every custom `<object_id>` URL of the admin (actions, previews...) 404s on unknown ids.

    Subclasses add their own URLs in `get_extra_urls()` so that these are guarded too.
    """

    def get_extra_urls(self) -> list[URLPattern]:
        return []

    def get_urls(self) -> list[URLPattern]:
        return [self._guarded(url) for url in [*self.get_extra_urls(), *super().get_urls()]]

    def _guarded(self, url: URLPattern) -> URLPattern:
        if "<path:object_id>" not in str(url.pattern) or not url.name:
            return url
        prefix = f"{self.opts.app_label}_{self.opts.model_name}_"
        if url.name in {prefix + view for view in _DJANGO_OBJECT_VIEWS}:
            return url
        return URLPattern(url.pattern, object_view(self, url.callback), url.default_args, url.name)


def object_for_check(model_admin, request, object_id):
    """The object a permission check is about, or None, read once per request: a page asks for
    each of its actions, and each check would otherwise read the row again."""
    cache = request.__dict__.setdefault("_console_objects", {})
    key = (model_admin.opts.label, str(object_id))
    if key not in cache:
        cache[key] = model_admin.get_object(request, str(object_id))
    return cache[key]
