"""Small admin mixins shared by the console's pages."""

from .objects import object_for_check


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

    operator_columns: tuple[str, ...] = ()  # list columns only an operator sees (action buttons)

    def get_list_display(self, request):
        shown = list(super().get_list_display(request))
        return [*shown, *self.operator_columns] if self.has_operate_permission(request) else shown

    def has_operate_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("console.operate_tasks")

    def may_operate(self, request, object_id, rule) -> bool:
        """Whether an action is offered (and allowed by URL): on the list (no object) to an
        operator; on an object's page only where `rule(obj)` says the action works on it."""
        if not self.has_operate_permission(request):
            return False
        if object_id is None:
            return True
        obj = object_for_check(self, request, object_id)
        return obj is not None and rule(obj)
