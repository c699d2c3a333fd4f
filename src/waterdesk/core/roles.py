"""Staff roles as Django groups, each with the permissions it may use.

The platform's permissions are listed here; each domain app grants its own from its
``AppConfig.ready()`` with ``role_grant`` (a case kind brings its roles' permissions with
it). Groups are re-synchronised after every ``migrate`` so that an install always matches.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    INTAKE_CLERK = "intake_clerk", _("受理员")
    SURVEYOR = "surveyor", _("勘查员")
    REVIEWER = "reviewer", _("初审员")
    APPROVER = "approver", _("审批人")
    SUPERVISOR = "supervisor", _("服务监督员")
    METER_READER = "meter_reader", _("抄表员")
    BILLING_CLERK = "billing_clerk", _("账务员")
    CASHIER = "cashier", _("收费员")
    HOTLINE_AGENT = "hotline_agent", _("热线坐席")
    DISPATCHER = "dispatcher", _("调度员")
    CREW_MEMBER = "crew_member", _("维修人员")
    COLLECTOR = "collector", _("催收员")
    COLLECTION_SUPERVISOR = "collection_supervisor", _("催收主管")
    COMPLAINT_HANDLER = "complaint_handler", _("投诉处理员")
    DEPARTMENT_RESPONDER = "department_responder", _("部门承办人")
    EMERGENCY_OFFICE = "emergency_office", _("应急办")
    DUTY_MANAGER = "duty_manager", _("值班主任")
    SAMPLER = "sampler", _("采样员")
    LAB_ANALYST = "lab_analyst", _("化验员")
    QUALITY_MANAGER = "quality_manager", _("水质主管")
    FINANCE = "finance", _("财务会计")
    ADMINISTRATOR = "administrator", _("系统管理员")


# "app_label.codename" per role.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.INTAKE_CLERK: [
        "cases.register_case",
        "cases.add_attachment",
        "cases.withdraw_attachment",
        "customers.add_customer",
        "customers.change_customer",
        "customers.view_customer",
        "customers.reveal_personal_data",
        "customers.add_premise",
        "customers.view_premise",
        "customers.view_account",
        "customers.view_meter",
        "billing.view_bill",  # a copy of a bill, the account statement, at the counter
    ],
    Role.SURVEYOR: [
        "cases.add_attachment",
        "cases.withdraw_attachment",
        "customers.view_customer",
        "customers.reveal_personal_data",
        "customers.view_premise",
        "customers.view_account",
        "customers.view_meter",
    ],
    Role.REVIEWER: [
        "customers.view_customer",
        "customers.reveal_personal_data",
        "customers.view_premise",
        "customers.view_account",
    ],
    Role.APPROVER: [
        "customers.view_customer",
        "customers.reveal_personal_data",
        "customers.view_premise",
        "customers.view_account",
    ],
    Role.METER_READER: [
        "customers.view_account",
        "customers.view_meter",
        "billing.add_meterread",
        "billing.view_meterread",
        "billing.import_meterread",
    ],
    Role.BILLING_CLERK: [
        "customers.view_customer",
        "customers.reveal_personal_data",
        "customers.view_account",
        "customers.view_meter",
        "customers.assign_route",
        "billing.view_meterread",
        "billing.add_meterread",
        "billing.review_meterread",
        "billing.import_meterread",
        "billing.view_readingcycle",
        "billing.add_readingcycle",
        "billing.view_billrun",
        "billing.run_billing",
        "billing.view_bill",
        "billing.view_ledgerentry",
        "billing.post_adjustment",
        "billing.view_tariff",
    ],
    Role.SUPERVISOR: [
        "cases.view_all_cases",
        "cases.reassign_case",
        "cases.withdraw_attachment",
        "customers.view_customer",
        "customers.reveal_personal_data",
        "customers.view_personaldataaccess",
        "customers.view_lookupalert",
        "customers.view_premise",
        "customers.view_account",
        "customers.view_meter",
        "billing.view_bill",
        "sla.view_slaclock",
    ],
    Role.ADMINISTRATOR: [
        "cases.view_all_cases",
        "cases.reassign_case",
        "customers.view_customer",
        "customers.view_personaldataaccess",
        "customers.view_lookupalert",
        "customers.view_premise",
        "customers.view_account",
        "customers.view_meter",
        "sla.view_slaclock",
        "sla.add_slapolicy",
        "sla.change_slapolicy",
        "sla.view_slapolicy",
        "sla.change_calendaryear",
        "sla.view_calendaryear",
        "sla.add_calendarday",
        "sla.change_calendarday",
        "sla.delete_calendarday",
        "sla.view_calendarday",
        "sla.change_businesshours",
        "sla.view_businesshours",
        "notify.view_notification",
        "notify.change_notification",
        "notify.change_notificationtemplate",
        "notify.view_notificationtemplate",
        "billing.view_tariff",
        "billing.add_tariff",
        "billing.change_tariff",
        "billing.view_tariffversion",
        "billing.add_tariffversion",
        "billing.change_tariffversion",
        "billing.delete_tariffversion",
        "billing.view_accounttariff",
        "billing.add_accounttariff",
        "billing.view_readingcycle",
        "billing.view_meterread",
        "billing.view_readimport",
        "billing.view_readingpolicy",
        "billing.change_readingpolicy",
        "billing.view_bill",
        "billing.view_billrun",
        "billing.view_ledgerentry",
        "customers.view_route",
        "customers.add_route",
        "customers.change_route",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        # API tokens of machine clients (kiosks, gateways, hotlines): issue and revoke.
        "authtoken.view_tokenproxy",
        "authtoken.add_tokenproxy",
        "authtoken.delete_tokenproxy",
        "authtoken.view_token",
        "authtoken.add_token",
        "authtoken.delete_token",
        # Login lockouts (django-axes): see who is locked out and unlock by deleting.
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accessfailurelog",
        "axes.view_accesslog",
        "core.view_department",
        "core.add_department",
        "core.change_department",
    ],
}


def role_grant(role: str, *permissions: str) -> None:
    """Give ``role`` these "app_label.codename" permissions (idempotent)."""
    granted = ROLE_PERMISSIONS.setdefault(role, [])
    for permission in permissions:
        if permission not in granted:
            granted.append(permission)


def sync_roles() -> None:
    from django.contrib.auth.models import Group, Permission

    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".", 1)
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:  # an app not installed yet simply adds nothing
                wanted.append(perm)
        group.permissions.set(wanted)


def sync_roles_after_migrate(sender, **kwargs) -> None:
    # Permissions are created per app by auth's own post_migrate handler, so the groups are
    # brought up to date after each app; the sync is idempotent and cheap.
    sync_roles()
