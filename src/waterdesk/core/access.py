"""Who may grant which access: the rule that keeps a staff administrator (a non-superuser
with ``auth.change_user``) from raising anyone's privileges, their own included.

A non-superuser may not touch a superuser's account, may not set ``is_superuser`` or
grant single permissions, may not change their own roles, staff or active flags, and may
add only roles whose permissions they hold themselves. The user admin checks this when it
validates the form and again when it saves.
"""

from django.contrib.auth.models import Group
from django.utils.translation import gettext as _

from waterdesk.core.roles import Role

# Fields only a superuser may change, on any account.
SUPERUSER_ONLY_FIELDS = frozenset({"is_superuser", "user_permissions"})
# Fields nobody but a superuser may change on their own account.
OWN_ACCOUNT_FIELDS = frozenset(
    {"groups", "is_staff", "is_superuser", "is_active", "user_permissions"}
)


def group_permission_names(group: Group) -> set[str]:
    return {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def group_is_within(*, actor, group: Group) -> bool:
    """Whether every permission of ``group`` is one the actor holds."""
    return group_permission_names(group) <= actor.get_all_permissions()


def _role_name(group: Group) -> str:
    return str(Role(group.name).label) if group.name in Role.values else group.name


def user_access_change_refusal(
    *, actor, user, changed: set[str], groups_added: list[Group] = ()
) -> str | None:
    """Why ``actor`` may not make this change to ``user``'s access, or None if they may.

    ``user`` is the account as stored (``pk`` None for a new one); ``changed`` names the
    access fields the change sets; ``groups_added`` are the roles it adds.
    """
    if actor.is_superuser:
        return None
    if user.pk is not None and user.is_superuser:
        return _("只有超级管理员可以修改超级管理员账号。")
    if user.pk is not None and user.pk == actor.pk and changed & OWN_ACCOUNT_FIELDS:
        return _("不能修改自己的角色、后台访问、启用状态或权限；请另一位管理员操作。")
    if changed & SUPERUSER_ONLY_FIELDS:
        return _("只有超级管理员可以设置超级管理员标志或单独授予权限；请通过分配角色授权。")
    beyond = [group for group in groups_added if not group_is_within(actor=actor, group=group)]
    if beyond:
        names = "、".join(_role_name(group) for group in beyond)
        return _(
            "不能分配角色「%(roles)s」：该角色含有您自己没有的权限。请联系超级管理员分配。"
        ) % {"roles": names}
    return None


def user_password_change_refusal(*, actor, user) -> str | None:
    """Why ``actor`` may not set ``user``'s password, or None: whoever sets a password can
    log in as that user, so a non-superuser may do it only for accounts whose permissions
    are all their own too."""
    if actor.is_superuser or user.pk == actor.pk:
        return None
    if not user.get_all_permissions() <= actor.get_all_permissions() or user.is_superuser:
        return _(
            "不能重设该账号的密码：该账号拥有您没有的权限，重设密码等于取得这些权限。"
            "请联系超级管理员重设。"
        )
    return None
