"""The intake page: new-connection registration with a new or an existing customer."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tests.factories import AccountFactory, CustomerFactory
from waterdesk.applications.models import MaterialNotice
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.customers.models import Customer, Premise
from waterdesk.notify.models import Notification

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI)
VALID_ID = "11010519491231002X"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(START, tick=False):
        yield


def intake_data(supply_zone, **overrides) -> dict:
    data = {
        "new-kind": "person",
        "new-name": "张三",
        "new-id_number": VALID_ID,
        "new-mobile": "13800138000",
        "channel": "counter",
        "premise_address": "城北区解放路 18 号",
        "zone": str(supply_zone.pk),
        "district": "城北区",
        "contact_name": "张三",
        "contact_phone": "13800138000",
        "requested_usage": "residential",
        "requested_size_dn": "20",
        "household_size": "3",
        "materials_received": ["id_card", "property_certificate"],
        "priority": "normal",
        "green_channel_reason": "",
        "summary": "",
    }
    data.update(overrides)
    return data


def assert_nothing_written():
    assert Case.objects.count() == 0
    assert Customer.objects.count() == 0
    assert Premise.objects.count() == 0
    assert CaseEvent.objects.count() == 0
    assert Notification.objects.count() == 0


def test_intake_page_shows_the_checklist_for_both_kinds_of_customer(client, clerk):
    client.force_login(clerk)
    response = client.get(reverse("workbench:intake"))
    assert response.status_code == 200
    choices = [
        str(label) for _code, label in response.context["form"].fields["materials_received"].choices
    ]
    assert choices == [
        "身份证",
        "房产证明",
        "营业执照（单位）",
        "授权委托书（单位）",
    ]


def test_intake_with_a_new_customer_creates_one_case_and_redirects(client, clerk, zone):
    client.force_login(clerk)

    response = client.post(reverse("workbench:intake"), intake_data(zone))

    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:case", args=[case.public_id])
    assert case.number == "XZ-20260310-0001"
    assert case.status == "registered"
    assert case.customer.name == "张三"
    assert case.customer.id_number == VALID_ID
    assert case.premise.address == "城北区解放路 18 号"
    assert case.premise.zone == zone
    assert case.opened_by == clerk
    assert Customer.objects.count() == 1

    page = client.get(response["Location"])
    assert "已受理，受理编号 XZ-20260310-0001。" in page.content.decode()
    assert reverse("workbench:document", args=[case.public_id, "receipt"]) in page.content.decode()


def test_intake_with_missing_materials_issues_the_one_time_notice(client, clerk, zone):
    client.force_login(clerk)

    response = client.post(reverse("workbench:intake"), intake_data(zone, materials_received=[]))

    assert response.status_code == 302
    case = Case.objects.get()
    assert case.status == "materials_pending"
    assert MaterialNotice.objects.get(case=case).missing == [
        {"code": "id_card", "name": "身份证"},
        {"code": "property_certificate", "name": "房产证明"},
    ]


def test_intake_with_an_existing_customer(client, clerk, zone):
    customer = CustomerFactory(name="李四")
    client.force_login(clerk)
    data = intake_data(zone, customer=str(customer.public_id))
    for key in [k for k in data if k.startswith("new-")]:
        data[key] = ""

    response = client.post(reverse("workbench:intake"), data)

    assert response.status_code == 302
    assert Case.objects.get().customer == customer
    assert Customer.objects.count() == 1


def test_intake_with_an_unknown_picked_customer_is_refused(client, clerk, zone):
    client.force_login(clerk)
    data = intake_data(zone, customer="00000000-0000-4000-8000-000000000000")

    response = client.post(reverse("workbench:intake"), data)

    assert response.status_code == 400
    assert response.context["form"].errors["customer"] == ["所选客户不存在，请重新查找。"]
    assert_nothing_written()


def test_intake_with_an_invalid_id_number(client, clerk, zone):
    client.force_login(clerk)

    response = client.post(
        reverse("workbench:intake"), intake_data(zone, **{"new-id_number": "110105194912310021"})
    )

    assert response.status_code == 400
    assert response.context["customer_form"].errors["id_number"] == ["身份证号码不正确：校验位错误"]
    assert "身份证号码不正确：校验位错误" in response.content.decode()
    assert_nothing_written()


def test_intake_with_an_invalid_contact_phone(client, clerk, zone):
    client.force_login(clerk)

    response = client.post(reverse("workbench:intake"), intake_data(zone, contact_phone="12345"))

    assert response.status_code == 400
    assert response.context["form"].errors["contact_phone"] == [
        "联系电话不正确：号码无效，请检查位数和号段。"
    ]
    assert "联系电话不正确：号码无效，请检查位数和号段。" in response.content.decode()
    assert_nothing_written()


def test_intake_with_an_invalid_customer_mobile(client, clerk, zone):
    client.force_login(clerk)

    response = client.post(
        reverse("workbench:intake"), intake_data(zone, **{"new-mobile": "12345"})
    )

    assert response.status_code == 400
    assert response.context["customer_form"].errors["mobile"] == [
        "手机号码不正确：号码无效，请检查位数和号段。"
    ]
    assert_nothing_written()


@pytest.mark.parametrize("field", ["contact_name", "premise_address", "zone"])
def test_intake_with_a_missing_field(client, clerk, zone, field):
    client.force_login(clerk)

    response = client.post(reverse("workbench:intake"), intake_data(zone, **{field: ""}))

    assert response.status_code == 400
    assert response.context["form"].errors[field] == ["该字段是必填项。"]
    assert "申请未保存，请修改标出的内容后重新提交。" in response.content.decode()
    assert_nothing_written()


def test_intake_without_any_customer(client, clerk, zone):
    client.force_login(clerk)
    data = intake_data(zone)
    for key in [k for k in data if k.startswith("new-")]:
        data[key] = ""

    response = client.post(reverse("workbench:intake"), data)

    assert response.status_code == 400
    assert response.context["customer_form"].errors["name"] == ["该字段是必填项。"]
    assert_nothing_written()


def test_green_channel_needs_a_reason(client, clerk, zone):
    client.force_login(clerk)

    response = client.post(reverse("workbench:intake"), intake_data(zone, priority="green"))

    assert response.status_code == 400
    assert response.context["form"].errors["green_channel_reason"] == ["绿色通道须注明原因。"]
    assert_nothing_written()


def test_duplicate_customer_error_is_shown_and_nothing_is_written(client, clerk, zone):
    CustomerFactory(id_number=VALID_ID)
    client.force_login(clerk)

    response = client.post(reverse("workbench:intake"), intake_data(zone))

    assert response.status_code == 400
    assert response.context["customer_form"].errors["id_number"]
    assert Case.objects.count() == 0
    assert Customer.objects.count() == 1


@pytest.mark.parametrize("username", ["surveyor", "reviewer", "approver", "supervisor", "outsider"])
def test_intake_refused_to_other_roles(client, request, zone, username):
    user = request.getfixturevalue(username)
    client.force_login(user)

    assert client.get(reverse("workbench:intake")).status_code == 403
    assert client.post(reverse("workbench:intake"), intake_data(zone)).status_code == 403
    assert_nothing_written()


def test_intake_redirects_anonymous_users_to_login(client, zone):
    response = client.post(reverse("workbench:intake"), intake_data(zone))
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/desk/intake/"
    assert_nothing_written()


def test_customer_search_partial_offers_pick_buttons_on_intake(client, clerk):
    customer = CustomerFactory(name="王五", mobile="13912345678")
    AccountFactory(customer=customer, number="1000000777")
    client.force_login(clerk)

    for query in ["王五", "13912345678", customer.id_number, "1000000777"]:
        response = client.get(reverse("workbench:customer_search"), {"q": query, "pick": "1"})
        assert response.status_code == 200
        assert [c.pk for c in response.context["results"]] == [customer.pk], query
        assert (
            reverse("workbench:customer_pick", args=[customer.public_id])
            in response.content.decode()
        )

    picked = client.get(reverse("workbench:customer_pick", args=[customer.public_id]))
    assert picked.status_code == 200
    assert f'name="customer" value="{customer.public_id}"' in picked.content.decode()
