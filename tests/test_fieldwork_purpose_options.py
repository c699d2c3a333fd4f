"""What a purpose shapes in a work order: a crew that does not diagnose or quote, the
purpose's own fields at finish (on the finish event, on the order, on its page and its
sheet), a site photo required before finishing, and the purpose's hook refusing a step —
on the page, on the field it names, with nothing changed."""

import datetime as dt

import pytest
from django import forms

from tests.fieldwork_support import (
    MORNING,
    an_order,
    at,
    dispatcher,
    east,
    heard,
    offered,
    pdf_text,
    photo_upload,
    purpose_registered,
    state,
    step,
    walked,
)
from waterdesk.core.errors import IllegalTransition, InvalidInput
from waterdesk.fieldwork import services as fw
from waterdesk.fieldwork.documents import work_order_sheet_pdf
from waterdesk.fieldwork.forms import FinishForm
from waterdesk.fieldwork.models import WorkOrder, WorkOrderEvent, WorkOrderPhoto
from waterdesk.fieldwork.purposes import Purpose
from waterdesk.fieldwork.workflow import crew_actions

pytestmark = pytest.mark.django_db
__all__ = ["dispatcher", "east", "heard"]

CUT_OFF = "test_cut_off"
PAID = "客户已缴清欠费，无需停水，请返回。"
OUTSIDE = "到达时间不在停水通知的时段内。"


class CutOffFinishForm(FinishForm):
    reading = forms.DecimalField(label="水表读数", required=False, decimal_places=2)
    seal_number = forms.CharField(label="铅封号", required=False)
    valve_locked = forms.BooleanField(label="已锁闭表前阀", required=False)


class CutOff:
    """The test purpose's hook: what it heard, and the refusal it raises at an action."""

    def __init__(self):
        self.told: list[tuple[str, dict]] = []
        self.refuse: dict[str, Exception] = {}

    def on_event(self, *, order, action, actor, at, data):
        self.told.append((action, dict(data)))
        if action in self.refuse:
            raise self.refuse[action]
        if action == "finish" and not str(data.get("seal_number", "")).startswith("QF-"):
            raise InvalidInput(
                "铅封号应以 QF- 开头，请核对铅封上的编号。", code="bad_seal", field="seal_number"
            )


@pytest.fixture
def cut_off():
    hook = CutOff()
    purpose = Purpose(
        code=CUT_OFF,
        label="停水",
        sheet_title="停水作业单",
        on_event=hook.on_event,
        diagnosis_required=False,
        finish_form=CutOffFinishForm,
        photo_required_at_finish=True,
    )
    with purpose_registered(purpose):
        yield hook


def cut_off_order(dispatcher, crew, clerk, member, *, to: str):
    """A cut-off order moved by ``member`` to ``to`` (accepted, en_route or arrived)."""
    with at(0):
        order = an_order(dispatcher, crew, clerk, purpose=CUT_OFF)
        order = fw.work_order_accept(actor=member, order=order)
        if to in ("en_route", "arrived"):
            order = fw.work_order_set_off(actor=member, order=order)
    if to == "arrived":
        with at(20):
            order = fw.work_order_arrive(actor=member, order=order)
    assert order.status == to
    return order


def finish(member, order, **extra):
    """The crew finishes ``order`` through the service with ``extra``."""
    return fw.work_order_finish(
        actor=member,
        order=order,
        result="已加封",
        site_cleaned=True,
        use_demonstrated=False,
        extra=extra,
    )


def with_photo(member, order) -> None:
    with at(30):
        fw.work_order_photo_add(actor=member, order=order, upload=photo_upload())


FINISHED = {
    "result": "已关闭表前阀并加封",
    "site_cleaned": "on",
    "reading": "1234.50",
    "seal_number": "QF-0001",
    "valve_locked": "on",
}


# --- no diagnosis --------------------------------------------------------------------------


def test_a_crew_that_does_not_diagnose_is_offered_no_diagnosis_or_estimate(
    client, dispatcher, clerk, cut_off, east
):
    crew, member = east
    order = cut_off_order(dispatcher, crew, clerk, member, to="en_route")
    client.force_login(member)
    with at(20):
        response = step(client, order, "arrive")
        page = client.get(response.url)
    assert response.status_code == 302
    assert "已到达现场。作业完成后请填写完工记录。" in page.content.decode()
    assert offered(page) == ["material", "photo", "extend", "finish", "give_up"]
    finish_form = next(view.form for view in page.context["steps"] if view.action == "finish")
    assert type(finish_form) is CutOffFinishForm
    assert 'id="finish-seal_number"' in page.content.decode()
    # A purpose that keeps the default diagnoses and quotes.
    assert crew_actions("arrived", Purpose(code="x", label="x", sheet_title="x")) == [
        "diagnose",
        "estimate",
        "estimate_accept",
        "material",
        "photo",
        "extend",
        "finish",
        "give_up",
    ]
    # Posted anyway, a diagnosis is refused with nothing changed.
    before = state(order)
    with at(25):
        refused = step(client, order, "diagnose", diagnosis="阀门老化", plan="更换")
    assert refused.status_code == 409
    assert "停水工单无需故障诊断和报价，请直接完工。" in refused.content.decode()
    assert state(order) == before
    with pytest.raises(IllegalTransition) as error:
        fw.work_order_estimate(actor=member, order=order, minutes=30, cost="10")
    assert error.value.code == "step_not_for_purpose"
    assert state(order) == before


# --- finish: the purpose's fields -------------------------------------------------------------


def test_the_purposes_fields_are_recorded_on_the_finish_event_and_the_order(
    client, dispatcher, clerk, cut_off, east
):
    crew, member = east
    order = cut_off_order(dispatcher, crew, clerk, member, to="arrived")
    with_photo(member, order)
    client.force_login(member)
    with at(40):
        response = step(client, order, "finish", **FINISHED)
        page = client.get(response.url).content.decode()
    assert response.status_code == 302
    details = {"reading": "1234.50", "seal_number": "QF-0001", "valve_locked": True}
    order.refresh_from_db()
    assert (order.status, order.result, order.finish_details, order.work_done_at) == (
        "work_done",
        "已关闭表前阀并加封",
        details,
        MORNING + dt.timedelta(minutes=40),
    )
    event = WorkOrderEvent.objects.get(order=order, action="finish")
    assert (event.data, event.note) == (details, "已关闭表前阀并加封")
    assert cut_off.told[-1] == ("finish", details)
    assert [action for action, _data in cut_off.told] == [
        "assign",
        "accept",
        "set_off",
        "arrive",
        "photo",
        "finish",
    ]
    assert (
        '<dl class="details" id="finish-details">\n'
        '      <dt>处理结果</dt><dd class="pre-line">已关闭表前阀并加封</dd>\n'
        "      <dt>水表读数</dt><dd>1234.50</dd><dt>铅封号</dt><dd>QF-0001</dd>"
        "<dt>已锁闭表前阀</dt><dd>是</dd>\n"
        "    </dl>"
    ) in page
    assert "诊断与报价" not in page
    text = pdf_text(work_order_sheet_pdf(order))
    assert "处理结果已关闭表前阀并加封水表读数1234.50铅封号QF-0001已锁闭表前阀是" in text
    for absent in ("故障诊断", "维修方案", "预计用时和费用", "客户确认时间"):
        assert absent not in text


def test_the_services_extra_without_a_form_reaches_the_hook_as_given(
    dispatcher, clerk, cut_off, east
):
    crew, member = east
    order = cut_off_order(dispatcher, crew, clerk, member, to="arrived")
    with_photo(member, order)
    order = finish(member, order, seal_number="QF-0002", reading="88.00")
    order.refresh_from_db()
    assert order.finish_details == {"seal_number": "QF-0002", "reading": "88.00"}
    # The sheet lists them in the order of the purpose's form.
    assert "水表读数88.00铅封号QF-0002" in pdf_text(work_order_sheet_pdf(order))


def test_a_refusal_by_the_hook_comes_back_on_its_field_with_nothing_changed(
    client, dispatcher, clerk, cut_off, east
):
    crew, member = east
    order = cut_off_order(dispatcher, crew, clerk, member, to="arrived")
    with_photo(member, order)
    before = state(order)
    client.force_login(member)
    response = step(client, order, "finish", **{**FINISHED, "seal_number": "0001"})
    page = response.content.decode()
    assert response.status_code == 400
    assert (
        '<small class="field-error" id="finish-seal_number_error">'
        "铅封号应以 QF- 开头，请核对铅封上的编号。</small>"
    ) in page
    assert 'value="0001"' in page and 'value="1234.50"' in page  # the input kept
    assert state(order) == before
    assert cut_off.told[-1] == (
        "finish",
        {"reading": "1234.50", "seal_number": "0001", "valve_locked": True},
    )
    with pytest.raises(InvalidInput) as error:
        finish(member, order, seal_number="")
    assert (error.value.code, error.value.field) == ("bad_seal", "seal_number")
    assert state(order) == before


# --- finish: a photo first -------------------------------------------------------------------


def test_finishing_without_a_site_photo_is_refused_when_the_purpose_requires_one(
    client, dispatcher, clerk, cut_off, east
):
    crew, member = east
    order = cut_off_order(dispatcher, crew, clerk, member, to="arrived")
    before = state(order)
    with pytest.raises(IllegalTransition) as error:
        finish(member, order, seal_number="QF-0003")
    assert error.value.code == "photo_required"
    assert state(order) == before
    client.force_login(member)
    response = step(client, order, "finish", **FINISHED)
    assert response.status_code == 409
    assert "完工前请先上传至少一张现场照片。" in response.content.decode()
    assert state(order) == before
    assert WorkOrderPhoto.objects.filter(order=order).count() == 0
    # With a photo, the same input finishes.
    with_photo(member, order)
    assert step(client, order, "finish", **FINISHED).status_code == 302
    assert WorkOrder.objects.get(pk=order.pk).status == "work_done"


def test_a_purpose_without_options_finishes_as_before(client, dispatcher, clerk, heard, east):
    crew, member = east
    order = walked(member, an_order(dispatcher, crew, clerk), to="work_done")
    assert (order.finish_details, heard[-1]) == ({}, ("finish", {}))
    text = pdf_text(work_order_sheet_pdf(order))
    assert "故障诊断阀门老化渗漏维修方案更换闸阀" in text


# --- the hook refuses a step -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "status", "data", "refusal", "http_status", "shown"),
    [
        (
            "set_off",
            "accepted",
            {},
            IllegalTransition(PAID, code="paid_meanwhile"),
            409,
            f'<div class="message message-error" role="alert">\n    <p>{PAID}</p>',
        ),
        (
            "arrive",
            "en_route",
            {"at": "2026-03-02T09:15"},
            InvalidInput(OUTSIDE, code="outside_notice", field="at"),
            400,
            f'<small class="field-error" id="arrive-at_error">{OUTSIDE}</small>',
        ),
        (
            "finish",
            "arrived",
            FINISHED,
            IllegalTransition(PAID, code="paid_meanwhile"),
            409,
            f'<div class="message message-error" role="alert">\n    <p>{PAID}</p>',
        ),
    ],
)
def test_a_step_the_hook_refuses_shows_why_on_the_page_with_nothing_changed(
    client, dispatcher, clerk, cut_off, east, action, status, data, refusal, http_status, shown
):
    crew, member = east
    order = cut_off_order(dispatcher, crew, clerk, member, to=status)
    if action == "finish":
        with_photo(member, order)
    cut_off.refuse[action] = refusal
    before = state(order)
    client.force_login(member)
    with at(30):
        response = step(client, order, action, **data)
    page = response.content.decode()
    assert response.status_code == http_status
    assert shown in page
    assert action in offered(response)  # the step stays on the page to try again
    assert state(order) == before
    assert cut_off.told[-1][0] == action
    del cut_off.refuse[action]
    with at(31):
        assert step(client, order, action, **data).status_code == 302
