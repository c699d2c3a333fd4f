"""Domain errors: stable codes for the API, translated messages for the pages.

Every service raises one of these for bad input or an illegal move; views, forms and the
API map them to responses in one place (``waterdesk.api.errors`` and
``waterdesk.workbench.views``).
"""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "domain_error"
    default_message = _("操作无法完成。")
    http_status = 400

    def __init__(
        self,
        message=None,
        *,
        code: str | None = None,
        field: str | None = None,
        details: dict | None = None,
    ):
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.field = field
        self.details = details or {}
        super().__init__(str(self.message))

    def as_dict(self) -> dict:
        data = {"code": self.code, "message": str(self.message)}
        if self.field:
            data["field"] = self.field
        if self.details:
            data["details"] = self.details
        return data


class InvalidInput(DomainError):
    code = "invalid_input"
    default_message = _("输入不正确。")


class IllegalTransition(DomainError):
    code = "illegal_transition"
    default_message = _("当前状态下不能执行此操作。")
    http_status = 409


class ConcurrentUpdate(DomainError):
    code = "concurrent_update"
    default_message = _("该工单已被其他人处理，请刷新后重试。")
    http_status = 409


class NotPermitted(DomainError):
    code = "not_permitted"
    default_message = _("您没有执行此操作的权限。")
    http_status = 403


def require_permission(actor, permission: str) -> None:
    """Refuse (``NotPermitted``) unless ``actor`` is a user holding ``permission``."""
    if actor is None or not actor.has_perm(permission):
        raise NotPermitted()


class NotFound(DomainError):
    code = "not_found"
    default_message = _("记录不存在或您无权查看。")
    http_status = 404
