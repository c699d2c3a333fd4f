"""The user admin refuses privilege escalation by staff administrators (non-superusers),
whatever the POST carries; superusers keep full control."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.factories import UserFactory
from waterdesk.core.roles import Role

User = get_user_model()


@pytest.fixture
def staff_admin(administrator):
    administrator.is_staff = True
    administrator.save()
    return administrator


@pytest.fixture
def admin_page(staff_admin):
    client = Client()
    client.force_login(staff_admin)
    return client


def group_with(name: str, *perms: str) -> Group:
    group = Group.objects.create(name=name)
    for dotted in perms:
        app_label, codename = dotted.split(".")
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return group


def change_form(user, **fields) -> dict:
    """What the admin's change page posts for ``user`` as it is, with ``fields`` changed."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "groups": [group.pk for group in user.groups.all()],
    }
    if user.is_active:
        data["is_active"] = "on"
    if user.is_staff:
        data["is_staff"] = "on"
    data.update(fields)
    return data


def snapshot(user) -> tuple:
    user.refresh_from_db()
    return (
        user.is_superuser,
        user.is_staff,
        user.is_active,
        sorted(user.groups.values_list("name", flat=True)),
        sorted(user.user_permissions.values_list("codename", flat=True)),
    )


def change_url(user) -> str:
    return reverse("admin:auth_user_change", args=[user.pk])


def errors_of(response) -> str:
    return " ".join(str(error) for error in response.context["adminform"].form.non_field_errors())


# --- refused ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_administrator_cannot_make_a_user_superuser(admin_page, clerk):
    before = snapshot(clerk)

    response = admin_page.post(change_url(clerk), change_form(clerk, is_superuser="on"))

    assert response.status_code == 200
    assert "只有超级管理员可以设置超级管理员标志或单独授予权限" in errors_of(response)
    assert snapshot(clerk) == before


@pytest.mark.django_db
def test_an_administrator_cannot_make_themselves_superuser(admin_page, staff_admin):
    before = snapshot(staff_admin)

    response = admin_page.post(change_url(staff_admin), change_form(staff_admin, is_superuser="on"))

    assert response.status_code == 200
    assert "不能修改自己的角色、后台访问、启用状态或权限" in errors_of(response)
    assert snapshot(staff_admin) == before


@pytest.mark.django_db
def test_an_administrator_cannot_grant_single_permissions(admin_page, clerk):
    before = snapshot(clerk)
    delete_user = Permission.objects.get(codename="delete_user")

    response = admin_page.post(
        change_url(clerk), change_form(clerk, user_permissions=[delete_user.pk])
    )

    assert response.status_code == 200
    assert "只有超级管理员可以设置超级管理员标志或单独授予权限" in errors_of(response)
    assert snapshot(clerk) == before


@pytest.mark.django_db
def test_an_administrator_cannot_assign_a_role_beyond_their_own_permissions(admin_page, outsider):
    beyond = group_with("user_deleters", "auth.delete_user")
    approver = Group.objects.get(name=Role.APPROVER)  # approves applications: not the admin's
    before = snapshot(outsider)

    for group in (beyond, approver):
        response = admin_page.post(change_url(outsider), change_form(outsider, groups=[group.pk]))

        assert response.status_code == 200
        assert "该角色含有您自己没有的权限。请联系超级管理员分配。" in errors_of(response)
        assert snapshot(outsider) == before
    assert "「审批人」" in errors_of(response)


@pytest.mark.django_db
def test_an_administrator_cannot_change_their_own_roles_or_staff_flag(admin_page, staff_admin):
    viewers = group_with("viewers", "customers.view_customer")
    before = snapshot(staff_admin)
    own_groups = [group.pk for group in staff_admin.groups.all()]

    for crafted in (
        {"groups": [*own_groups, viewers.pk]},
        {"groups": []},
        {"is_staff": ""},
        {"is_active": ""},
    ):
        response = admin_page.post(change_url(staff_admin), change_form(staff_admin, **crafted))

        assert response.status_code == 200, crafted
        assert "不能修改自己的角色、后台访问、启用状态或权限" in errors_of(response)
        assert snapshot(staff_admin) == before


@pytest.mark.django_db
def test_an_administrator_cannot_edit_a_superuser(admin_page):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    before = snapshot(root), root.email

    response = admin_page.post(
        change_url(root), change_form(root, email="attacker@example.cn", is_superuser="")
    )
    password = admin_page.post(
        reverse("admin:auth_user_password_change", args=[root.pk]),
        {"password1": "Kettle-Harbour-417", "password2": "Kettle-Harbour-417"},
    )

    assert (response.status_code, password.status_code) == (403, 403)
    root.refresh_from_db()
    assert (snapshot(root), root.email) == before
    assert root.check_password("pass-123456")


@pytest.mark.django_db
def test_an_administrator_cannot_take_over_an_account_with_more_permissions(
    admin_page, clerk, staff_admin
):
    # The clerk can register cases, which the administrator cannot: setting the clerk's
    # password would hand the administrator those permissions.
    refused = admin_page.post(
        reverse("admin:auth_user_password_change", args=[clerk.pk]),
        {"password1": "Kettle-Harbour-417", "password2": "Kettle-Harbour-417"},
    )
    viewer = UserFactory(username="viewer")
    viewer.groups.add(group_with("viewers", "customers.view_customer"))
    allowed = admin_page.post(
        reverse("admin:auth_user_password_change", args=[viewer.pk]),
        {"password1": "Kettle-Harbour-417", "password2": "Kettle-Harbour-417"},
    )

    assert refused.status_code == 403
    clerk.refresh_from_db()
    assert clerk.check_password("pass-123456")
    assert allowed.status_code == 302
    viewer.refresh_from_db()
    assert viewer.check_password("Kettle-Harbour-417")


@pytest.mark.django_db
def test_an_administrator_cannot_add_a_superuser(admin_page):
    viewers = group_with("viewers", "customers.view_customer")
    response = admin_page.post(
        reverse("admin:auth_user_add"),
        {
            "username": "intruder",
            "usable_password": "true",
            "password1": "Kettle-Harbour-417",
            "password2": "Kettle-Harbour-417",
            "is_superuser": "on",
            "groups": [viewers.pk],
        },
    )

    assert response.status_code == 200
    assert "只有超级管理员可以设置超级管理员标志或单独授予权限" in errors_of(response)
    assert not User.objects.filter(username="intruder").exists()


@pytest.mark.django_db
def test_the_save_refuses_even_when_the_form_is_bypassed(staff_admin, clerk):
    user_admin = admin.site._registry[User]
    request = RequestFactory().post("/admin/")
    request.user = staff_admin
    before = snapshot(clerk)
    clerk.is_superuser = True

    with pytest.raises(PermissionDenied):
        user_admin.save_model(request, clerk, form=None, change=True)

    assert snapshot(clerk) == before


@pytest.mark.django_db
def test_the_superuser_fields_are_not_shown_to_an_administrator(admin_page, clerk):
    html = admin_page.get(change_url(clerk)).content.decode()

    assert 'name="is_superuser"' not in html
    assert 'name="user_permissions"' not in html
    assert 'name="groups"' in html


# --- allowed ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_administrator_assigns_a_role_within_their_permissions(admin_page, outsider):
    viewers = group_with("viewers", "customers.view_customer")

    response = admin_page.post(
        change_url(outsider), change_form(outsider, groups=[viewers.pk], email="o@example.cn")
    )

    assert response.status_code == 302
    assert snapshot(outsider) == (False, False, True, ["viewers"], [])
    assert outsider.email == "o@example.cn"


@pytest.mark.django_db
def test_an_administrator_keeps_a_role_they_could_not_assign(admin_page, clerk):
    # The clerk's role is beyond the administrator's permissions; editing the clerk's
    # e-mail leaves it in place (only additions are judged).
    response = admin_page.post(change_url(clerk), change_form(clerk, email="c@example.cn"))

    assert response.status_code == 302
    assert snapshot(clerk)[3] == [Role.INTAKE_CLERK]


@pytest.mark.django_db
def test_an_administrator_edits_their_own_name(admin_page, staff_admin):
    response = admin_page.post(
        change_url(staff_admin),
        {
            key: value
            for key, value in change_form(staff_admin, first_name="新名字").items()
            if key not in {"groups", "is_staff", "is_active"}  # shown read-only
        },
    )

    assert response.status_code == 302
    staff_admin.refresh_from_db()
    assert staff_admin.first_name == "新名字"


@pytest.mark.django_db
def test_a_superuser_may_grant_anything(admin_client, clerk):
    beyond = group_with("user_deleters", "auth.delete_user")
    delete_user = Permission.objects.get(codename="delete_user")

    response = admin_client.post(
        change_url(clerk),
        change_form(
            clerk,
            is_superuser="on",
            is_staff="on",
            groups=[beyond.pk],
            user_permissions=[delete_user.pk],
        ),
    )

    assert response.status_code == 302
    assert snapshot(clerk) == (True, True, True, ["user_deleters"], ["delete_user"])
