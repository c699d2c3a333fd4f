"""Inquiries (业务咨询, R-B1) through their services: answered at intake, recorded with an
answer deadline on the working-day calendar and answered later through the channel the
customer used, withdrawn, refused for roles without the permission and for blank input."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.template import Context, Engine

from tests.factories import (
    CustomerFactory,
    DepartmentFactory,
    PremiseFactory,
    registered_new_connection,
)
from waterdesk.cases.kinds import kind_spec
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.inquiries import services
from waterdesk.inquiries.models import Inquiry, InquiryCategory
from waterdesk.notify.models import Notification, NotificationTemplate
from waterdesk.sla.models import SlaClock, SlaPolicy

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=LOCAL_TZ)  # the frozen_monday fixture
FRIDAY = datetime(2026, 3, 6, 10, 0, tzinfo=LOCAL_TZ)  # a plain week-end follows
BEFORE_QINGMING = datetime(2026, 4, 3, 10, 0, tzinfo=LOCAL_TZ)  # Monday 6 April is off
BEFORE_MAKE_UP_SATURDAY = datetime(2026, 5, 8, 10, 0, tzinfo=LOCAL_TZ)  # Saturday 9 May worked
BILLING_QUESTION = "上月水费为什么比平时高出一倍？"
BILLING_ANSWER = "经查，上月为两个月合并抄表，水量已按阶梯分月计算，账单无误。"


@pytest.fixture
def billing_office():
    """The billing category answered by the billing office (收费科)."""
    office = DepartmentFactory(code="billing_office", name="收费科")
    InquiryCategory.objects.filter(code="billing").update(department=office)
    return office


def category(code: str = "billing") -> InquiryCategory:
    return InquiryCategory.objects.get(code=code)


def register(actor, **fields) -> Case:
    """A billing question by phone from 张三 on a mobile, not answered at intake."""
    fields = {
        "channel": "phone",
        "contact_name": "张三",
        "contact_phone": "13800138000",
        "category": category(),
        "question": BILLING_QUESTION,
        **fields,
    }
    return services.inquiry_register(actor=actor, **fields)


def counts() -> tuple:
    """What a refused step must leave unchanged."""
    return (
        Case.objects.count(),
        Inquiry.objects.count(),
        CaseEvent.objects.count(),
        SlaClock.objects.count(),
        Notification.objects.count(),
    )


def events(case: Case) -> list[tuple]:
    return list(
        case.events.order_by("at", "pk").values_list("action", "from_status", "to_status", "at")
    )


def outbox(case: Case) -> list[tuple]:
    return list(
        Notification.objects.filter(case=case)
        .order_by("template_key", "channel")
        .values_list("template_key", "channel", "recipient_address")
    )


# --- the seeds and the registration -------------------------------------------------------


def test_migrations_seed_the_categories_the_policy_and_the_notices():
    assert list(
        InquiryCategory.objects.values_list("code", "name", "reply_days", "is_active", "department")
    ) == [
        ("billing", "账单缴费", 1, True, None),
        ("connection", "用水报装", 1, True, None),
        ("water_quality", "水质", 1, True, None),
        ("outage", "停水", 1, True, None),
        ("other", "其他", 1, True, None),
    ]
    policy = SlaPolicy.objects.get(case_kind="inquiry", milestone="answer")
    assert (policy.priority, policy.amount, policy.unit) == ("normal", 1, "working_days")
    assert sorted(
        NotificationTemplate.objects.filter(key__startswith="inquiry.").values_list(
            "key", "channel"
        )
    ) == [
        ("inquiry.answered", "email"),
        ("inquiry.answered", "sms"),
        ("inquiry.registered", "email"),
        ("inquiry.registered", "sms"),
    ]


# A context of every inquiry notice (for ``test_notify_templates``, like the other kinds').
TEMPLATE_CONTEXTS = {
    "inquiry.registered": {
        "case_number": "ZX-1",
        "category": "账单缴费",
        "due_at": "2026-03-09 17:30",
    },
    "inquiry.answered": {
        "case_number": "ZX-1",
        "category": "账单缴费",
        "answer": "账单无误。",
    },
}


@pytest.mark.parametrize("key", sorted(TEMPLATE_CONTEXTS))
def test_the_notices_are_seeded_on_both_channels_and_use_every_variable(key):
    context = TEMPLATE_CONTEXTS[key]
    templates = NotificationTemplate.objects.filter(key=key)
    assert sorted(templates.values_list("channel", flat=True)) == ["email", "sms"]
    for template in templates:
        source = template.subject + "\n" + template.body
        text = Engine.get_default().from_string(source).render(Context(context, autoescape=False))
        for name, value in context.items():
            assert value in text, (key, template.channel, name)
        assert "{" not in text
        if template.channel == "sms":
            assert template.subject == ""
            assert text.strip().startswith("【城市水务】")
            assert len(text.strip()) <= 140
        else:
            assert template.subject


def test_the_e_mail_answer_repeats_the_question():
    email = NotificationTemplate.objects.get(key="inquiry.answered", channel="email")
    context = {**TEMPLATE_CONTEXTS["inquiry.answered"], "question": "水费为什么高？"}
    text = Engine.get_default().from_string(email.body).render(Context(context, autoescape=False))
    assert text.startswith(
        "您好：\n\n您关于“账单缴费”的咨询（受理编号ZX-1）答复如下。\n\n"
        "您的问题：\n水费为什么高？\n\n答复：\n账单无误。\n\n"
    )


def test_the_kind_is_registered_with_its_actions_inputs_and_notices():
    spec = kind_spec("inquiry")
    assert spec.number_prefix == "ZX"
    assert (
        {t.action for t in spec.workflow.transitions}
        == set(spec.actions)
        == {
            "answer",
            "withdraw",
            "convert",
        }
    )
    offered = {name for name, action in spec.actions.items() if not action.internal}
    assert offered == {"answer", "withdraw"}
    for name in offered:
        assert spec.actions[name].form is not None
        assert spec.actions[name].serializer is not None
    assert spec.actions["convert"].form is None and spec.actions["convert"].serializer is None
    assert set(spec.notices) == set(
        NotificationTemplate.objects.filter(key__startswith="inquiry.").values_list(
            "key", flat=True
        )
    )
    assert spec.intake.permission == "inquiries.intake_inquiry"
    assert spec.on_follow_up is services.inquiry_follow_up


def test_roles_hold_the_inquiry_permissions():
    def granted(role: str) -> set[str]:
        return set(
            Group.objects.get(name=role)
            .permissions.filter(content_type__app_label="inquiries")
            .values_list("codename", flat=True)
        )

    assert granted(Role.INTAKE_CLERK) == {"intake_inquiry", "answer_inquiry"}
    assert granted(Role.BILLING_CLERK) == {"answer_inquiry"}
    assert granted(Role.SURVEYOR) == {"answer_inquiry"}
    assert granted(Role.METER_READER) == set()
    assert granted(Role.REVIEWER) == set()


# --- answered at intake -----------------------------------------------------------------------


def test_an_inquiry_answered_at_the_counter_is_closed_at_once(clerk, frozen_monday):
    customer = CustomerFactory(name="张三")

    case = register(clerk, channel="counter", customer=customer, answer=f"  {BILLING_ANSWER}  ")

    case.refresh_from_db()
    assert case.number == "ZX-20260302-0001"
    assert (case.kind, case.status, case.channel) == ("inquiry", "answered", "counter")
    assert (case.customer, case.contact_name, case.contact_phone) == (
        customer,
        "张三",
        "13800138000",
    )
    assert (case.opened_at, case.opened_by, case.closed_at) == (MONDAY, clerk, MONDAY)
    assert case.summary == BILLING_QUESTION
    detail = case.inquiry
    assert (detail.category, detail.question, detail.answer) == (
        category(),
        BILLING_QUESTION,
        BILLING_ANSWER,
    )
    assert (detail.answered_by, detail.answered_at, detail.answer_channel) == (
        clerk,
        MONDAY,
        "on_the_spot",
    )
    assert detail.converted_to is None
    assert not case.clocks.exists()
    assert events(case) == [
        ("open", "", "awaiting_answer", MONDAY),
        ("answer", "awaiting_answer", "answered", MONDAY),
    ]
    assert case.events.get(action="answer").data == {"channel": "on_the_spot"}
    # The customer heard the answer at the counter: nothing to send.
    assert outbox(case) == []


def test_an_e_mail_answered_at_intake_is_sent_by_e_mail_only(clerk, frozen_monday):
    customer = CustomerFactory(name="李四", mobile="13900139000", email="lisi@example.cn")

    case = register(
        clerk,
        channel="email",
        customer=customer,
        contact_name="李四",
        contact_phone="",
        email="li.si@mail.example.cn",
        answer=BILLING_ANSWER,
    )

    assert case.status == "answered"
    assert (case.contact_phone, case.inquiry.answer_channel) == ("", "email")
    assert outbox(case) == [("inquiry.answered", "email", "li.si@mail.example.cn")]
    notice = Notification.objects.get(case=case)
    assert notice.subject == "您的咨询已答复（ZX-20260302-0001）"
    assert notice.body.startswith(
        "您好：\n\n您关于“账单缴费”的咨询（受理编号ZX-20260302-0001）答复如下。\n\n"
        f"您的问题：\n{BILLING_QUESTION}\n\n答复：\n{BILLING_ANSWER}\n\n"
    )
    assert notice.customer == customer


# --- recorded with an answer deadline ----------------------------------------------------------


def test_a_friday_inquiry_is_due_at_the_end_of_monday(clerk, billing_office):
    customer = CustomerFactory(name="张三", mobile="13800138001", email="zhangsan@example.cn")
    with time_machine.travel(FRIDAY, tick=False):
        case = register(clerk, customer=customer)

    case.refresh_from_db()
    assert (case.status, case.closed_at, case.department) == (
        "awaiting_answer",
        None,
        billing_office,
    )
    clock = case.clocks.get()
    assert (clock.milestone, clock.state, clock.unit, clock.amount) == (
        "answer",
        "running",
        "working_days",
        1,
    )
    assert (clock.started_at, clock.due_at) == (
        FRIDAY,
        datetime(2026, 3, 9, 17, 30, tzinfo=LOCAL_TZ),
    )
    assert case.inquiry.answered_at is None
    # The customer is told the number and the deadline by SMS (asked by phone), not e-mail.
    assert outbox(case) == [("inquiry.registered", "sms", "13800138001")]
    assert Notification.objects.get(case=case).body == (
        "【城市水务】您关于“账单缴费”的咨询已受理，受理编号ZX-20260306-0001，"
        "我们将于2026-03-09 17:30前答复您。"
    )


def test_the_deadline_skips_the_qingming_holiday(clerk):
    with time_machine.travel(BEFORE_QINGMING, tick=False):
        case = register(clerk)

    # Friday 3 April; Monday 6 April is the Qingming day off: due Tuesday.
    assert case.clocks.get().due_at == datetime(2026, 4, 7, 17, 30, tzinfo=LOCAL_TZ)


def test_a_category_sets_its_own_working_days(clerk):
    InquiryCategory.objects.filter(code="water_quality").update(reply_days=2)
    with time_machine.travel(BEFORE_MAKE_UP_SATURDAY, tick=False):
        case = register(clerk, category=category("water_quality"), question="自来水发黄能喝吗？")

    clock = case.clocks.get()
    # Friday 8 May + 2 working days: Saturday 9 May is a make-up working day, then Monday.
    assert (clock.amount, clock.due_at) == (2, datetime(2026, 5, 11, 17, 30, tzinfo=LOCAL_TZ))


def test_without_a_department_the_clerks_department_answers(clerk):
    with time_machine.travel(FRIDAY, tick=False):
        case = register(clerk, category=category("outage"), question="明天停水吗？")

    assert case.department == clerk.staff_profile.department


def test_the_department_answers_by_sms_only(clerk, billing_clerk, billing_office):
    customer = CustomerFactory(name="张三", mobile="13800138001", email="zhangsan@example.cn")
    with time_machine.travel(FRIDAY, tick=False):
        case = register(clerk, customer=customer)
    answered_at = datetime(2026, 3, 9, 9, 15, tzinfo=LOCAL_TZ)

    with time_machine.travel(answered_at, tick=False):
        case = services.inquiry_answer(actor=billing_clerk, case=case, answer=BILLING_ANSWER)

    assert (case.status, case.closed_at) == ("answered", answered_at)
    detail = Inquiry.objects.get(case=case)
    assert (detail.answer, detail.answered_by, detail.answered_at, detail.answer_channel) == (
        BILLING_ANSWER,
        billing_clerk,
        answered_at,
        "sms",
    )
    clock = case.clocks.get()
    assert (clock.state, clock.stopped_at, clock.is_late) == ("met", answered_at, False)
    answer_event = case.events.get(action="answer")
    assert (answer_event.actor, answer_event.note, answer_event.data) == (
        billing_clerk,
        BILLING_ANSWER,
        {"channel": "sms"},
    )
    assert outbox(case) == [
        ("inquiry.answered", "sms", "13800138001"),
        ("inquiry.registered", "sms", "13800138001"),
    ]
    assert Notification.objects.get(case=case, template_key="inquiry.answered").body == (
        "【城市水务】您关于“账单缴费”的咨询（ZX-20260306-0001）答复如下："
        f"{BILLING_ANSWER}如有疑问请致电客服热线或到营业厅咨询。"
    )


def test_an_e_mail_inquiry_is_answered_to_the_address_it_came_from(clerk, surveyor):
    customer = CustomerFactory(mobile="13800138001", email="old@example.cn")
    with time_machine.travel(FRIDAY, tick=False):
        case = register(
            clerk,
            channel="email",
            customer=customer,
            contact_phone="",
            email="new@example.cn",
            category=category("connection"),
            question="新房报装需要带什么材料？",
        )
    with time_machine.travel(FRIDAY + timedelta(hours=2), tick=False):
        services.inquiry_answer(actor=surveyor, case=case, answer="请携带身份证和房产证原件。")

    assert outbox(case) == [
        ("inquiry.answered", "email", "new@example.cn"),
        ("inquiry.registered", "email", "new@example.cn"),
    ]
    assert Inquiry.objects.get(case=case).answer_channel == "email"


def test_an_e_mail_inquiry_of_a_customer_goes_to_the_customers_address(clerk):
    customer = CustomerFactory(mobile="13800138001", email="zhangsan@example.cn")
    with time_machine.travel(FRIDAY, tick=False):
        case = register(clerk, channel="email", customer=customer, contact_phone="")
        services.inquiry_answer(actor=clerk, case=case, answer=BILLING_ANSWER)

    assert outbox(case) == [
        ("inquiry.answered", "email", "zhangsan@example.cn"),
        ("inquiry.registered", "email", "zhangsan@example.cn"),
    ]


def test_a_caller_on_a_landline_is_answered_by_phone(clerk):
    with time_machine.travel(FRIDAY, tick=False):
        case = register(clerk, contact_phone="010-62345678")
        case = services.inquiry_answer(actor=clerk, case=case, answer=BILLING_ANSWER)

    assert case.contact_phone == "010-62345678"
    assert Inquiry.objects.get(case=case).answer_channel == "phone"
    assert outbox(case) == []


def test_a_late_answer_breaches_the_clock(clerk, billing_clerk, billing_office):
    with time_machine.travel(FRIDAY, tick=False):
        case = register(clerk)
    late = datetime(2026, 3, 10, 9, 0, tzinfo=LOCAL_TZ)

    with time_machine.travel(late, tick=False):
        services.inquiry_answer(actor=billing_clerk, case=case, answer=BILLING_ANSWER)

    clock = case.clocks.get()
    assert (clock.state, clock.stopped_at, clock.is_late) == ("breached", late, True)


def test_a_vulnerable_customer_gets_the_green_channel(clerk):
    with time_machine.travel(FRIDAY, tick=False):
        case = register(clerk, customer=CustomerFactory(is_vulnerable=True))

    assert (case.priority, case.green_channel_reason) == ("green", "特殊关爱客户")


# --- withdrawal ---------------------------------------------------------------------------------


def test_a_withdrawn_inquiry_is_closed_without_an_answer(clerk):
    with time_machine.travel(FRIDAY, tick=False):
        case = register(clerk)
    withdrawn_at = FRIDAY + timedelta(hours=1)

    with time_machine.travel(withdrawn_at, tick=False):
        case = services.inquiry_withdraw(actor=clerk, case=case, reason="客户来电表示已自行查明。")

    assert (case.status, case.closed_at) == ("withdrawn", withdrawn_at)
    event = case.events.get(action="withdraw")
    assert (event.actor, event.note, event.from_status, event.to_status) == (
        clerk,
        "客户来电表示已自行查明。",
        "awaiting_answer",
        "withdrawn",
    )
    clock = case.clocks.get()
    assert (clock.state, clock.stopped_at) == ("cancelled", withdrawn_at)
    assert Inquiry.objects.get(case=case).answered_at is None
    assert outbox(case) == [("inquiry.registered", "sms", "13800138000")]


# --- turned into an application ------------------------------------------------------------


def test_an_application_opened_from_an_inquiry_closes_it_as_converted(clerk, frozen_monday):
    customer = CustomerFactory(name="王五")
    inquiry = register(
        clerk,
        channel="counter",
        customer=customer,
        category=category("connection"),
        question="新买的商铺要通水，需要办什么手续？",
    )
    frozen_monday.shift(timedelta(minutes=20))
    converted_at = MONDAY + timedelta(minutes=20)

    application = registered_new_connection(
        clerk, customer=customer, premise=PremiseFactory(), follows=inquiry
    )

    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.closed_at) == ("converted", converted_at)
    detail = Inquiry.objects.get(case=inquiry)
    assert detail.converted_to == application
    assert (detail.answer, detail.answered_at) == ("", None)
    clock = inquiry.clocks.get()
    assert (clock.state, clock.stopped_at) == ("met", converted_at)
    assert events(inquiry) == [
        ("open", "", "awaiting_answer", MONDAY),
        ("followed_up", "", "", converted_at),
        ("convert", "awaiting_answer", "converted", converted_at),
    ]
    convert = inquiry.events.get(action="convert")
    assert (convert.actor, convert.data) == (
        clerk,
        {"case": application.number, "kind": "new_connection"},
    )
    assert application.events.get(action="follows").data == {
        "case": inquiry.number,
        "kind": "inquiry",
    }
    assert application.status == "registered"


def test_an_application_opened_from_an_answered_inquiry_leaves_it_answered(clerk, frozen_monday):
    customer = CustomerFactory()
    inquiry = register(
        clerk,
        channel="counter",
        customer=customer,
        category=category("connection"),
        question="报装要多久？",
        answer="材料齐全后 10 个工作日内通水。",
    )

    application = registered_new_connection(
        clerk, customer=customer, premise=PremiseFactory(), follows=inquiry
    )

    inquiry.refresh_from_db()
    assert inquiry.status == "answered"
    assert Inquiry.objects.get(case=inquiry).converted_to is None
    assert inquiry.events.get(action="followed_up").data == {
        "case": application.number,
        "kind": "new_connection",
    }
    assert not inquiry.events.filter(action="convert").exists()


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["reader", "reviewer", "approver", "billing", "outsider"])
def test_only_intake_clerks_register_inquiries(staff, role, frozen_monday):
    before = counts()

    with pytest.raises(NotPermitted):
        register(staff[role], answer=BILLING_ANSWER)

    assert counts() == before


@pytest.mark.parametrize("role", ["reader", "reviewer", "approver", "outsider"])
def test_roles_without_the_permission_cannot_answer(clerk, staff, role, frozen_monday):
    case = register(clerk)
    before = counts()

    with pytest.raises(NotPermitted):
        services.inquiry_answer(actor=staff[role], case=case, answer=BILLING_ANSWER)

    case.refresh_from_db()
    assert (case.status, case.version) == ("awaiting_answer", 1)
    assert counts() == before
    assert Inquiry.objects.get(case=case).answered_at is None


@pytest.mark.parametrize("role", ["billing", "surveyor", "reader"])
def test_only_intake_clerks_withdraw(clerk, staff, role, frozen_monday):
    case = register(clerk)
    before = counts()

    with pytest.raises(NotPermitted):
        services.inquiry_withdraw(actor=staff[role], case=case, reason="客户不需要了")

    assert counts() == before


@pytest.mark.parametrize("question", ["", "   \n "])
def test_a_blank_question_is_refused_naming_the_field(clerk, question, frozen_monday):
    before = counts()

    with pytest.raises(InvalidInput) as refused:
        register(clerk, question=question)

    assert (refused.value.code, refused.value.field) == ("required", "question")
    assert str(refused.value.message) == "请填写咨询内容。"
    assert counts() == before


def test_a_blank_answer_is_refused_naming_the_field(clerk, frozen_monday):
    case = register(clerk)
    before = counts()

    with pytest.raises(InvalidInput) as refused:
        services.inquiry_answer(actor=clerk, case=case, answer="  ")

    assert (refused.value.code, refused.value.field) == ("required", "answer")
    assert counts() == before
    case.refresh_from_db()
    assert case.status == "awaiting_answer"


def test_a_blank_withdrawal_reason_is_refused(clerk, frozen_monday):
    case = register(clerk)
    before = counts()

    with pytest.raises(InvalidInput) as refused:
        services.inquiry_withdraw(actor=clerk, case=case, reason="")

    assert (refused.value.code, refused.value.field) == ("required", "reason")
    assert counts() == before


def test_an_e_mail_inquiry_needs_an_address_to_answer(clerk, frozen_monday):
    before = counts()

    with pytest.raises(InvalidInput) as refused:
        register(clerk, channel="email", contact_phone="", customer=CustomerFactory(email=""))

    assert (refused.value.code, refused.value.field) == ("email_required", "email")
    assert counts() == before


def test_a_malformed_e_mail_address_is_refused(clerk, frozen_monday):
    with pytest.raises(InvalidInput) as refused:
        register(clerk, channel="email", email="not-an-address")

    assert (refused.value.code, refused.value.field) == ("invalid_email", "email")


def test_a_phone_inquiry_needs_a_phone_number(clerk, frozen_monday):
    with pytest.raises(InvalidInput) as refused:
        register(clerk, contact_phone="")

    assert (refused.value.code, refused.value.field) == ("invalid_phone", "phone")


def test_an_inactive_category_is_refused(clerk, frozen_monday):
    InquiryCategory.objects.filter(code="other").update(is_active=False)
    before = counts()

    with pytest.raises(InvalidInput) as refused:
        register(clerk, category=category("other"))

    assert (refused.value.code, refused.value.field) == ("category_inactive", "category")
    assert counts() == before


def test_an_answered_inquiry_cannot_be_answered_or_withdrawn_again(clerk, frozen_monday):
    case = register(clerk, answer=BILLING_ANSWER)
    before = counts()

    with pytest.raises(IllegalTransition):
        services.inquiry_answer(actor=clerk, case=case, answer="再答一次")
    with pytest.raises(IllegalTransition):
        services.inquiry_withdraw(actor=clerk, case=case, reason="撤销")

    assert counts() == before
    assert Inquiry.objects.get(case=case).answer == BILLING_ANSWER
