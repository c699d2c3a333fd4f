"""The complaint pages: the desk intake (/desk/complaints/new/), the case page with the
complaint's partial and its actions for each role, a refusal shown on the page with
nothing written, the lessons learned search and the panel on the customer page."""

import pytest
from django.test import Client
from django.urls import reverse

from tests import complaints_support as cs
from tests.factories import CustomerFactory
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.complaints.models import Complaint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_monday")]


@pytest.fixture
def staff():
    return cs.complaint_staff()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_desk_intake_registers_a_complaint(staff):
    customer = CustomerFactory(name="王五", mobile="13700137000")
    linked = cs.register(staff.clerk, contact_name="李四")
    client = client_for(staff.clerk)
    page = client.get(reverse("workbench:intake_complaint"))
    assert page.status_code == 200
    assert "投诉受理登记" in page.content.decode()
    response = client.post(
        reverse("workbench:intake_complaint"),
        {
            "channel": "counter",
            "contact_name": "王五",
            "contact_phone": "13700137000",
            "customer": str(customer.public_id),
            "category": Complaint.objects.first().category.pk,
            "matter": "营业厅人员态度恶劣。",
            "demand": "道歉",
            "linked_case_number": linked.number,
            "priority": "normal",
        },
    )
    case = Case.objects.filter(kind="complaint").exclude(pk=linked.pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:case", args=[case.public_id])
    complaint = case.complaint
    assert (case.channel, case.customer, complaint.matter, complaint.linked_case) == (
        "counter",
        customer,
        "营业厅人员态度恶劣。",
        linked,
    )


def test_the_intake_shows_a_refusal_and_writes_nothing(staff):
    client = client_for(staff.clerk)
    before = Case.objects.count()
    response = client.post(
        reverse("workbench:intake_complaint"),
        {
            "channel": "phone",
            "contact_name": "王五",
            "contact_phone": "13700137000",
            "category": Complaint._meta.get_field("category").related_model.objects.first().pk,
            "matter": "x",
            "linked_case_number": "BX-20990101-0001",
            "priority": "normal",
        },
    )
    assert response.status_code == 400
    assert "关联工单 BX-20990101-0001 不存在" in response.content.decode()
    assert Case.objects.count() == before


def test_the_case_page_shows_the_complaint_and_each_role_s_actions(staff):
    case = cs.walk_to(cs.register(staff.clerk), "investigating", staff)
    case = cs.interview(staff.responder, case, person="张三", party="complainant")
    handler_page = client_for(staff.handler).get(reverse("workbench:case", args=[case.public_id]))
    text = handler_page.content.decode()
    assert handler_page.status_code == 200
    assert 'id="complaint-matter"' in text and "水表前阀门仍在漏水" in text
    assert "本轮尚未提交调查报告" in text
    for action in ("route", "reply", "withdraw", "plan"):
        assert f'id="action-{action}"' in text, action
    assert "须先提交本轮调查报告" in text  # the reply form says what comes first
    responder_page = client_for(staff.responder).get(
        reverse("workbench:case", args=[case.public_id])
    )
    text = responder_page.content.decode()
    for action in ("interview", "report", "plan", "add_measure"):
        assert f'id="action-{action}"' in text, action
    assert 'id="action-reply"' not in text and 'id="action-measure_done"' not in text


def test_a_reply_without_report_is_refused_on_the_page(staff):
    case = cs.walk_to(cs.register(staff.clerk), "investigating", staff)
    events = CaseEvent.objects.count()
    response = client_for(staff.handler).post(
        reverse("workbench:case_action", args=[case.public_id, "reply"]),
        {"reply-reply": "已处理", "reply-basis": "规范", "reply-channel": "sms"},
    )
    assert response.status_code == 400
    assert "尚无调查报告" in response.content.decode()
    assert (Case.objects.get(pk=case.pk).status, CaseEvent.objects.count()) == (
        "investigating",
        events,
    )


def test_lessons_are_searchable(staff):
    closed = cs.walk_to(cs.register(staff.clerk), "closed", staff)
    open_case = cs.walk_to(cs.register(staff.clerk, contact_name="李四"), "resolving", staff)
    client = client_for(staff.handler)
    found = client.get(reverse("workbench:complaint_lessons"), {"q": "试水"})
    assert found.status_code == 200
    text = found.content.decode()
    assert closed.number in text and open_case.number not in text
    none = client.get(reverse("workbench:complaint_lessons"), {"q": "水质"})
    assert 'id="lessons-none"' in none.content.decode()
    # The finding is searched too.
    assert (
        closed.number
        in client.get(
            reverse("workbench:complaint_lessons"), {"q": "维修质量不合格"}
        ).content.decode()
    )
    responder = client_for(staff.responder).get(reverse("workbench:complaint_lessons"))
    assert responder.status_code == 403


def test_the_customer_page_lists_the_customer_s_complaints(staff):
    customer = CustomerFactory(name="王五", mobile="13700137000")
    case = cs.register(staff.clerk, customer=customer, contact_name="王五")
    page = client_for(staff.handler).get(reverse("workbench:customer", args=[customer.public_id]))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-kind="complaint"' in text and case.number in text


def test_follow_up_and_close_through_the_page(staff):
    case = cs.walk_to(cs.register(staff.clerk), "resolving", staff)
    client = client_for(staff.handler)
    url = reverse("workbench:case_action", args=[case.public_id, "close"])
    refused = client.post(url, {"close-lessons": "经验"})
    assert refused.status_code == 400
    assert "尚未回访投诉人" in refused.content.decode()
    client.post(
        reverse("workbench:case_action", args=[case.public_id, "follow_up"]),
        {"follow_up-satisfaction": "5", "follow_up-note": "满意"},
    )
    assert client.post(url, {"close-lessons": "经验"}).status_code == 302
    assert Case.objects.get(pk=case.pk).status == "closed"
