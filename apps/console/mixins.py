"""Small admin mixins shared by the console's pages."""


class ReadOnlyAdminMixin:
    """Rows written by the machinery (history, logs, the audit trail): nobody edits them here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class OperatorMixin(ReadOnlyAdminMixin):
    """Read-only rows whose actions (retry, revoke, resend...) need the Operator permission."""

    def has_operate_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("console.operate_tasks")
