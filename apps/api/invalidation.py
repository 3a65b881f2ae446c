"""Cached callers (`callers.py`) dropped the moment what they hold changes.

Receivers of the ORM's save and delete signals, connected by `ApiConfig.ready`: a key stops
when it is revoked, when the user it acts for is deactivated or leaves its organization, and
its rate changes with its organization's plan, whichever code makes the change (the account
page's revoke, the console's user and organization forms and their membership rows, billing's
subscription services, a test, the shell). Services alone would miss the console, which
edits users and memberships as plain model forms. These receivers hold no rule of their own;
they only forget. What bypasses the signals (a queryset `update()`, SQL) waits for the
cache entry's one-second lifetime.
"""

from django.db.models import Q
from django.db.models.signals import post_delete, post_save

from apps.accounts.models import Membership, Organization, User
from apps.billing.models import Subscription

from .callers import callers_forget
from .models import ApiKey

# A user's fields that a cached caller holds (or that decide whether their keys work).
USER_FIELDS = {"is_active", "email", "email_verified_at"}


def connect() -> None:
    post_save.connect(_key_changed, sender=ApiKey, dispatch_uid="api-callers-key")
    post_delete.connect(_key_changed, sender=ApiKey, dispatch_uid="api-callers-key-gone")
    post_save.connect(_user_changed, sender=User, dispatch_uid="api-callers-user")
    post_save.connect(_membership_saved, sender=Membership, dispatch_uid="api-callers-member")
    post_delete.connect(_organization_changed, sender=Membership, dispatch_uid="api-callers-left")
    post_save.connect(_organization_changed, sender=Subscription, dispatch_uid="api-callers-plan")
    post_delete.connect(_organization_changed, sender=Subscription, dispatch_uid="api-callers-sub")
    post_save.connect(_organization_saved, sender=Organization, dispatch_uid="api-callers-org")


def _key_changed(sender, instance: ApiKey, created: bool = False, **kwargs) -> None:
    if not created:
        callers_forget(prefixes=[instance.prefix])


def _user_changed(sender, instance: User, created: bool, update_fields=None, **kwargs) -> None:
    if created or (update_fields is not None and not USER_FIELDS & set(update_fields)):
        return  # a new user has no key; a login's last_login changes nothing we hold
    keys = ApiKey.objects.filter(
        Q(created_by=instance) | Q(created_by__isnull=True, organization__owner=instance)
    )
    callers_forget(prefixes=keys.values_list("prefix", flat=True))


def _membership_saved(sender, instance: Membership, created: bool, **kwargs) -> None:
    # A new membership stops no key (a stopped key is not cached: it works again at once).
    # An edited one (moved to another user or organization) may: its organization's entries
    # go now, the organization it left waits out the second.
    if not created:
        _forget_organization(instance.organization_id)


def _organization_changed(sender, instance: Membership | Subscription, **kwargs) -> None:
    _forget_organization(instance.organization_id)


def _organization_saved(sender, instance: Organization, created: bool, **kwargs) -> None:
    if not created:
        _forget_organization(instance.pk)


def _forget_organization(organization_id: int) -> None:
    keys = ApiKey.objects.filter(organization_id=organization_id, revoked_at__isnull=True)
    callers_forget(prefixes=keys.values_list("prefix", flat=True))
