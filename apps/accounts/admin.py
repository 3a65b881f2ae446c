from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RangeDateFilter
from unfold.decorators import display
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from .models import Membership, Organization, User

admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin, ModelAdmin):
    pass


@admin.register(User)
class UserAdmin(BaseUserAdmin, ModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    ordering = ["email"]
    list_display = ["email", "full_name", "role_badge", "verified", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", ("date_joined", RangeDateFilter)]
    list_filter_submit = True
    search_fields = ["email", "full_name"]
    readonly_fields = ["last_login", "date_joined", "email_verified_at"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["full_name", "email_verified_at"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]

    @display(
        description=_("Role"),
        label={"Superuser": "danger", "Staff": "warning", "Customer": "info"},
    )
    def role_badge(self, obj: User) -> str:
        if obj.is_superuser:
            return "Superuser"
        return "Staff" if obj.is_staff else "Customer"

    @display(description=_("Verified"), boolean=True)
    def verified(self, obj: User) -> bool:
        return obj.email_verified_at is not None


class MembershipInline(TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(ModelAdmin):
    list_display = ["name", "slug", "owner", "member_count", "created_at"]
    list_filter = [("created_at", RangeDateFilter)]
    list_filter_submit = True
    search_fields = ["name", "slug", "owner__email"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["owner"]
    readonly_fields = ["created_at"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("owner")
            .annotate(members=Count("memberships"))
        )

    @display(description=_("Members"), ordering="members")
    def member_count(self, obj: Organization) -> int:
        return obj.members


@admin.register(Membership)
class MembershipAdmin(ModelAdmin):
    list_display = ["user", "organization", "role_badge", "joined_at"]
    list_filter = [("role", ChoicesDropdownFilter)]
    search_fields = ["user__email", "organization__name"]
    autocomplete_fields = ["user", "organization"]
    list_select_related = ["user", "organization"]
    readonly_fields = ["joined_at"]

    @display(
        description=_("Role"),
        ordering="role",
        label={"owner": "danger", "admin": "warning", "member": "info"},
    )
    def role_badge(self, obj: Membership) -> str:
        return obj.role
