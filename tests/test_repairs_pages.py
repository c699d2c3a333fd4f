"""The repair pages: the hotline's intake page (duplicates proposed with "并入此报修" /
"确认为新报修", the input kept), an inquiry turned into a repair, the case page's repair
partial with its callers' phones (masked and revealed by the policy), the dispatcher's
dispatch form — for the roles allowed and refused."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.fieldwork_support import crew_with_member
from tests.repairs_support import dispatcher, fault, hotline, report, the_order, tuesday
from waterdesk.cases.models import Case
from waterdesk.core.roles import Role
from waterdesk.customers.models import PersonalDataAccess
from waterdesk.inquiries.models import InquiryCategory
from waterdesk.inquiries.services import inquiry_register
from waterdesk.repairs.models import RepairContact

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday")]
__all__ = ["dispatcher", "hotline", "tuesday"]

INTAKE_URL = "/desk/repairs/new/"


def intake_data(**overrides) -> dict:
    data = {
        "channel": "phone",
        "contact_name": "张三",
        "contact_phone": "13900000001",
        "customer": "",
        "account_number": "",
        "address": "城北区解放路1号",
        "zone": "",
        "fault_type": str(fault("leak").pk),
        "description": "水表前阀门漏水",
        "green_channel_reason": "",
    }
    data.update(overrides)
    return data


def test_the_intake_page_is_the_kinds_registered_page():
    assert reverse("workbench:intake_repair") == INTAKE_URL


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.HOTLINE_AGENT, 200),
        (Role.DISPATCHER, 200),
        (Role.INTAKE_CLERK, 200),
        (Role.CREW_MEMBER, 403),
        (Role.METER_READER, 403),
        (Role.SUPERVISOR, 403),
    ],
)
def test_who_may_open_the_intake_page(client, role, status):
    client.force_login(UserFactory(username=f"p-{role}", role=role))
    assert client.get(INTAKE_URL).status_code == status


def test_the_hotline_registers_a_report_and_sees_the_case_page(client, hotline):
    client.force_login(hotline)

    response = client.post(INTAKE_URL, intake_data(raise_urgency="on"))

    case = Case.objects.get(kind="repair")
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:case", args=[case.public_id])
    assert (case.repair.urgency, case.status) == ("urgent", "awaiting_dispatch")  # nobody on call
    page = client.get(response["Location"]).content.decode()
    assert "已受理，受理编号 BX-20260310-0001，等待调度派单。" in page
    assert 'id="repair-fault">漏水<' in page
    assert "13900000001" in page  # the agent handling it sees the caller's phone
    assert 'id="repair-no-orders"' in page


def test_duplicates_are_listed_with_both_answers_and_the_input_kept(client, hotline):
    first = report(hotline, address="城北区解放路1号")
    client.force_login(hotline)
    data = intake_data(contact_name="李四", contact_phone="13900000002")

    response = client.post(INTAKE_URL, data)

    page = response.content.decode()
    assert response.status_code == 409
    assert f'data-candidate="{first.number}"' in page
    assert f'name="link_to" value="{first.public_id}"' in page
    assert 'name="confirm_new" value="1"' in page
    assert 'value="李四"' in page and 'value="13900000002"' in page
    assert Case.objects.count() == 1

    joined = client.post(INTAKE_URL, {**data, "link_to": str(first.public_id)})
    assert joined.status_code == 302
    assert joined["Location"] == reverse("workbench:case", args=[first.public_id])
    assert list(RepairContact.objects.values_list("name", flat=True)) == ["张三", "李四"]

    new = client.post(INTAKE_URL, {**data, "confirm_new": "1"})
    assert new.status_code == 302
    assert Case.objects.count() == 2


def test_a_refusal_is_shown_on_its_field(client, hotline):
    client.force_login(hotline)

    response = client.post(
        INTAKE_URL, intake_data(fault_type=str(fault("burst_main").pk), account_number="999")
    )

    assert response.status_code == 400
    assert "未找到户号为 999 的账户。" in response.content.decode()
    assert Case.objects.count() == 0


def test_an_inquiry_turned_into_a_repair_on_the_page(client, hotline, clerk):
    inquiry = inquiry_register(
        actor=clerk,
        channel="phone",
        contact_name="周到",
        contact_phone="13900000009",
        category=InquiryCategory.objects.get(code="outage"),
        question="家里没有水了",
    )
    client.force_login(clerk)  # the counter clerk who took the inquiry registers repairs too

    page = client.get(f"{INTAKE_URL}?follows={inquiry.public_id}").content.decode()
    assert 'id="follows-note"' in page and 'value="周到"' in page and "家里没有水了" in page

    response = client.post(
        INTAKE_URL,
        intake_data(
            follows=str(inquiry.public_id),
            contact_name="周到",
            contact_phone="13900000009",
            fault_type=str(fault("no_water").pk),
            description="家里没有水了",
        ),
    )

    assert response.status_code == 302
    inquiry.refresh_from_db()
    repair = Case.objects.get(kind="repair")
    assert (inquiry.status, inquiry.inquiry.converted_to) == ("converted", repair)


def test_the_dispatcher_dispatches_from_the_case_page(client, hotline, dispatcher):
    crew, _member = crew_with_member("east", "crew-east", mobile="13700000001")
    case = report(hotline)
    client.force_login(dispatcher)

    page = client.get(reverse("workbench:case", args=[case.public_id])).content.decode()
    assert 'id="action-dispatch"' in page and 'id="action-cancel"' in page

    response = client.post(
        reverse("workbench:case_action", args=[case.public_id, "dispatch"]),
        {"dispatch-crew": str(crew.pk), "dispatch-window_start": "", "dispatch-window_end": ""},
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, the_order(case).crew) == ("dispatched", crew)


def test_a_callers_phone_is_masked_for_others_and_revealed_with_a_reason(
    client, hotline, supervisor
):
    case = report(hotline, contact_phone="13900000001")
    report(hotline, contact_name="李四", contact_phone="13900000002", link_to=case)
    client.force_login(supervisor)

    page = client.get(reverse("workbench:case", args=[case.public_id])).content.decode()
    assert "139****0002" in page and "13900000002" not in page
    url = reverse("workbench:repair_contact_reveal", args=[case.public_id, 2])
    assert url in page

    refused = client.post(url, {"reason": ""})
    revealed = client.post(url, {"reason": "回电告知维修进展"}, HTTP_HX_REQUEST="true")

    assert refused.status_code == 400
    assert revealed.status_code == 200 and "13900000002" in revealed.content.decode()
    access = PersonalDataAccess.objects.get(is_reveal=True)
    assert (access.user, access.case_number, access.field, access.reason) == (
        supervisor,
        case.number,
        "contact_phone",
        "回电告知维修进展",
    )
    assert (
        client.post(
            reverse("workbench:repair_contact_reveal", args=[case.public_id, 3]),
            {"reason": "回电告知维修进展"},
        ).status_code
        == 404
    )
