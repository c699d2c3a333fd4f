"""Sending surveys when cases close: the case-closed listener of the registry, the policy
per kind (enabled, the closures that count, the sample), the SMS with its link, one survey
per case; the periodic samples and the monthly job."""

import random
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.template import Context, Engine

from tests.factories import AccountFactory, CustomerFactory, UserFactory
from tests.surveys_support import closed_inquiry, invitation, survey_every, token_of
from waterdesk.cases import kinds as registry
from waterdesk.cases.models import Case
from waterdesk.core.errors import InvalidInput
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.customers.models import AccountStatus
from waterdesk.inquiries import services as inquiries
from waterdesk.inquiries.models import InquiryCategory
from waterdesk.notify.models import Notification, NotificationTemplate
from waterdesk.surveys.models import Survey, SurveyCampaign, SurveyPolicy
from waterdesk.surveys.services import (
    case_sampled,
    survey_campaign_monthly,
    survey_campaign_run,
    survey_token_hash,
)
from waterdesk.surveys.tasks import surveys_monthly_campaign

pytestmark = pytest.mark.django_db

# The survey invitations (SMS only: the link is the survey), with every variable.
TEMPLATE_CONTEXTS = {
    "survey.invite": {
        "case_number": "ZX-20260302-0001",
        "kind": "业务咨询",
        "link": "https://water.example.cn/s/abcdefghijklmnopqrstuv/",
        "expires_on": "2026-03-16",
    },
    "survey.periodic": {
        "link": "https://water.example.cn/s/abcdefghijklmnopqrstuv/",
        "expires_on": "2026-03-16",
    },
}

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=LOCAL_TZ)


@pytest.fixture
def clerk():
    return UserFactory(username="sv-send-clerk", role=Role.INTAKE_CLERK)


def waiting_inquiry(clerk, phone="13800138000") -> Case:
    return inquiries.inquiry_register(
        actor=clerk,
        channel="phone",
        contact_name="张三",
        contact_phone=phone,
        category=InquiryCategory.objects.get(code="billing"),
        question="本月水费为什么比上月高？",
    )


@pytest.mark.parametrize("key", sorted(TEMPLATE_CONTEXTS))
def test_the_invitations_use_every_variable_and_fit_one_sms(key):
    context = TEMPLATE_CONTEXTS[key]
    (template,) = NotificationTemplate.objects.filter(key=key)
    assert (template.channel, template.subject) == ("sms", "")
    text = Engine.get_default().from_string(template.body).render(Context(context))
    assert all(value in text for value in context.values()), text
    assert text.startswith("【城市水务】") and "{" not in text and len(text) <= 140


# --- the registry's case-closed listeners -------------------------------------------------


def test_listeners_are_called_on_terminal_moves_only_inside_the_transaction(clerk, monkeypatch):
    calls = []

    def listener(*, case, actor, action, at):
        calls.append((case.number, case.status, case.closed_at is not None, actor, action, at))

    monkeypatch.setattr(registry, "_CASE_CLOSED_LISTENERS", dict(registry._CASE_CLOSED_LISTENERS))
    registry.case_closed_listener_register(listener)
    registry.case_closed_listener_register(listener)  # idempotent
    assert registry.case_closed_listeners().count(listener) == 1
    case = waiting_inquiry(clerk)
    assert calls == []  # opening is no closure
    with time_machine.travel(NOON, tick=False):
        inquiries.inquiry_answer(actor=clerk, case=case, answer="账单无误。")
    assert calls == [(case.number, "answered", True, clerk, "answer", NOON)]


def test_a_listener_that_refuses_rolls_the_closure_back(clerk, monkeypatch):
    def refuse(**kwargs):
        raise InvalidInput("no", code="refused")

    monkeypatch.setattr(registry, "_CASE_CLOSED_LISTENERS", {"refuse": refuse})
    case = waiting_inquiry(clerk)
    with pytest.raises(InvalidInput):
        inquiries.inquiry_answer(actor=clerk, case=case, answer="账单无误。")
    case.refresh_from_db()
    assert (case.status, case.closed_at) == ("awaiting_answer", None)


# --- the policy ---------------------------------------------------------------------------


def test_the_seeded_policies():
    rows = SurveyPolicy.objects.values_list(
        "case_kind", "is_enabled", "sample_percent", "counted_statuses"
    )
    assert sorted(rows) == [
        ("collection", False, 0, ["settled"]),
        ("complaint", True, 100, ["closed"]),
        ("inquiry", True, 20, ["answered"]),
        ("new_connection", True, 50, ["completed"]),
        ("ownership_transfer", True, 50, ["completed"]),
        ("repair", True, 100, ["closed"]),
        ("usage_change", True, 50, ["completed"]),
    ]


def test_sampling_is_by_the_case_number_and_exact():
    numbers = [f"ZX-20260302-{n:04d}" for n in range(1, 201)]
    twenty = [n for n in numbers if case_sampled(number=n, percent=20)]
    assert twenty == [n for n in numbers if case_sampled(number=n, percent=20)]  # stable
    assert 25 <= len(twenty) <= 55  # about one in five of 200
    assert set(twenty) <= {n for n in numbers if case_sampled(number=n, percent=50)}
    assert all(case_sampled(number=n, percent=100) for n in numbers)
    assert not any(case_sampled(number=n, percent=0) for n in numbers)


def test_only_sampled_cases_are_surveyed(clerk):
    SurveyPolicy.objects.filter(case_kind="inquiry").update(sample_percent=50)
    cases = [closed_inquiry(clerk) for _ in range(12)]
    surveyed = sorted(Survey.objects.values_list("case__number", flat=True))
    assert surveyed == sorted(c.number for c in cases if case_sampled(number=c.number, percent=50))


def test_a_withdrawn_case_is_not_surveyed(clerk):
    survey_every("inquiry")
    case = waiting_inquiry(clerk)
    inquiries.inquiry_withdraw(actor=clerk, case=case, reason="客户不再需要")
    assert not Survey.objects.exists()
    assert not Notification.objects.filter(template_key="survey.invite").exists()


def test_a_disabled_policy_or_a_kind_without_one_sends_nothing(clerk):
    SurveyPolicy.objects.filter(case_kind="inquiry").update(is_enabled=False, sample_percent=100)
    closed_inquiry(clerk)
    SurveyPolicy.objects.filter(case_kind="inquiry").delete()
    closed_inquiry(clerk)
    assert not Survey.objects.exists()


def test_the_invitation_links_to_the_site_and_waits_for_the_morning(clerk, settings):
    settings.WATERDESK_SITE_URL = "https://water.example.cn"
    survey_every("inquiry")
    night = datetime(2026, 3, 2, 22, 30, tzinfo=LOCAL_TZ)
    with time_machine.travel(night, tick=False):
        case = closed_inquiry(clerk)
    sms = invitation(case)
    token = token_of(case)
    survey = Survey.objects.get(case=case)
    assert survey.token_hash == survey_token_hash(token)
    assert sms.body == (
        f"【城市水务】您的业务咨询业务{case.number}已办结，请评价我们的服务："
        f"https://water.example.cn/s/{token}/ ，2026-03-16前有效。"
    )
    assert sms.next_attempt_at == datetime(2026, 3, 3, 8, 0, tzinfo=LOCAL_TZ)
    assert survey.expires_at == night + timedelta(days=14)
    assert Notification.objects.filter(case=case, template_key="survey.invite").count() == 1


def test_the_link_is_the_path_alone_without_a_site_url(clerk, settings):
    settings.WATERDESK_SITE_URL = ""
    survey_every("inquiry")
    case = closed_inquiry(clerk)
    assert f"：/s/{token_of(case)}/ ，" in invitation(case).body


def test_the_contact_phone_is_texted_else_the_customers_mobile(clerk):
    survey_every("inquiry")
    customer = CustomerFactory(mobile="13911112222")
    by_contact = closed_inquiry(clerk, customer=customer)
    assert invitation(by_contact).recipient_address == "13800138000"
    by_customer = closed_inquiry(clerk, customer=customer, phone="010-12345678")
    assert invitation(by_customer).recipient_address == "13911112222"
    assert Survey.objects.get(case=by_customer).customer == customer


def test_one_survey_per_case(clerk):
    from waterdesk.surveys.services import survey_send

    survey_every("inquiry")
    case = closed_inquiry(clerk)
    assert survey_send(case=case, actor=clerk) is None
    assert Survey.objects.filter(case=case).count() == 1
    assert Notification.objects.filter(template_key="survey.invite").count() == 1


# --- periodic surveys ---------------------------------------------------------------------


def active_customers(count: int) -> list:
    return [AccountFactory().customer for _ in range(count)]


def test_a_periodic_sample_is_random_among_active_customers_with_a_mobile():
    customers = active_customers(6)
    AccountFactory(customer=CustomerFactory(mobile=""))  # no mobile
    AccountFactory(status=AccountStatus.CLOSED)  # no active account
    CustomerFactory()  # no account at all
    campaign = survey_campaign_run(actor=None, size=3, rng=random.Random(7))
    chosen = random.Random(7).sample(sorted(c.pk for c in customers), 3)
    expected = sorted(chosen)
    assert sorted(Survey.objects.values_list("customer_id", flat=True)) == expected
    assert (campaign.sample_size, campaign.sent_count) == (3, 3)
    assert Notification.objects.filter(template_key="survey.periodic").count() == 3
    assert set(Survey.objects.values_list("case_kind", "case", "campaign")) == {
        ("", None, campaign.pk)
    }


def test_customers_surveyed_in_the_last_90_days_are_left_out():
    customers = active_customers(3)
    survey_campaign_run(actor=None, size=2, rng=random.Random(1))
    first = set(Survey.objects.values_list("customer_id", flat=True))
    survey_campaign_run(actor=None, size=5, rng=random.Random(1))
    second = set(
        Survey.objects.exclude(customer_id__in=first).values_list("customer_id", flat=True)
    )
    assert second == {c.pk for c in customers} - first
    assert Survey.objects.count() == 3


def test_a_bad_sample_size_is_refused_and_nothing_is_written():
    active_customers(1)
    for size in (0, 5001):
        with pytest.raises(InvalidInput) as refused:
            survey_campaign_run(actor=None, size=size)
        assert refused.value.code == "invalid_sample_size"
    assert not SurveyCampaign.objects.exists() and not Survey.objects.exists()


def test_a_clerk_may_not_run_a_campaign(clerk):
    from waterdesk.core.errors import NotPermitted

    with pytest.raises(NotPermitted):
        survey_campaign_run(actor=clerk, size=1)
    assert not SurveyCampaign.objects.exists()


def test_the_monthly_job_runs_once_a_month():
    active_customers(2)
    with time_machine.travel(datetime(2026, 3, 1, 0, 30, tzinfo=LOCAL_TZ), tick=False):
        assert surveys_monthly_campaign() == 2
        assert surveys_monthly_campaign() is None
        assert survey_campaign_monthly() is None
    assert list(SurveyCampaign.objects.values_list("period", flat=True)) == ["2026-03"]


def test_the_command_sends_a_sample(capsys):
    active_customers(2)
    call_command("surveys_sample", "--size", "5", "--seed", "3")
    assert capsys.readouterr().out.strip() == "sent=2"
    assert Survey.objects.count() == 2
