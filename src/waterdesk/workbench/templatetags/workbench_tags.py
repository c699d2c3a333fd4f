"""Labels and small formatting helpers of the staff pages."""

import re
import uuid

from django import template
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.access import case_contact_phone
from waterdesk.cases.kinds import customer_banners_for, kind_spec
from waterdesk.cases.services import user_display_name
from waterdesk.customers.models import AccessChannel
from waterdesk.customers.privacy import customer_masked, customer_personal_data
from waterdesk.sla.models import milestone_label as sla_milestone_label

register = template.Library()

# ``case_url``: the case page's URL with this placeholder, per script prefix and URLconf.
_CASE_URL_PLACEHOLDER = str(uuid.UUID(int=0))
_case_url_patterns: dict[tuple, str] = {}


@register.filter
def case_url(public_id) -> str:
    """``{% url 'workbench:case' public_id %}`` without resolving the pattern again for
    every row of a long table (the dispatcher's board shows a hundred links)."""
    key = (get_script_prefix(), get_urlconf())
    pattern = _case_url_patterns.get(key)
    if pattern is None:
        pattern = _case_url_patterns[key] = reverse("workbench:case", args=[_CASE_URL_PLACEHOLDER])
    return pattern.replace(_CASE_URL_PLACEHOLDER, str(public_id))


# clock_status_label() value → (label, badge classes of app.css)
CLOCK_STATUS = {
    "met": (_("按时完成"), "badge-success"),
    "breached": (_("已超时"), "overdue"),
    "at_risk": (_("临近超时"), "at-risk"),
    "on_track": (_("计时中"), "badge-info"),
    "paused": (_("已暂停"), "badge-paused"),
    "cancelled": (_("已取消"), "badge-neutral"),
}

# Events of the case backbone itself, whatever the kind; each kind names its own events
# in its registration (``KindSpec.events``).
EVENT_LABELS = {
    "open": _("受理登记"),
    "attach": _("上传附件"),
    "withdraw_attachment": _("撤回附件"),
    "reassign": _("改派"),
    "claim": _("领取"),
    "follows": _("由其他工单转办"),
    "followed_up": _("已转办"),
}


def _backbone_summary(action: str, data: dict) -> str:
    if action == "attach" and data.get("file"):
        return gettext("文件：%(file)s") % {"file": data["file"]}
    if action == "withdraw_attachment" and data.get("file"):
        # The reason is the event's note, shown under this line.
        return gettext("已撤回文件：%(file)s") % {"file": data["file"]}
    if action in {"reassign", "claim"}:
        return gettext("%(old)s → %(new)s") % {
            "old": data.get("from_name") or data.get("from") or "—",
            "new": data.get("to_name") or data.get("to") or "—",
        }
    if action in {"follows", "followed_up"} and data.get("case"):
        return gettext("工单 %(number)s") % {"number": data["case"]}
    return ""


@register.filter
def status_label(status: str, kind: str) -> str:
    """``{{ case.status|status_label:case.kind }}``"""
    return kind_spec(kind).status_label(status)


@register.filter
def case_status(case) -> str:
    return status_label(case.status, case.kind)


@register.filter
def status_class(case) -> str:
    classes = kind_spec(case.kind).status_classes
    return classes.get(case.status, "badge-open" if case.is_open else "badge-closed")


@register.filter
def milestone_label(milestone: str, kind: str) -> str:
    """``{{ clock.milestone|milestone_label:case.kind }}``"""
    return sla_milestone_label(milestone, kind)


@register.filter
def clock_status_text(status: str) -> str:
    return str(CLOCK_STATUS.get(status, (status, ""))[0])


@register.filter
def clock_status_class(status: str) -> str:
    return CLOCK_STATUS.get(status, ("", ""))[1]


@register.filter
def event_label(event) -> str:
    """The backbone's label, else the kind's label of the event, else the label of the
    workflow move it records."""
    if event.action in EVENT_LABELS:
        return str(EVENT_LABELS[event.action])
    spec = kind_spec(event.case.kind)
    view = spec.events.get(event.action)
    if view is not None and view.label:
        return str(view.label)
    for transition in spec.workflow.transitions:
        if transition.action == event.action:
            return str(transition.label)
    return event.action


@register.filter
def event_summary(event) -> str:
    """A short line for the data an event carries (the note is shown separately), built by
    the backbone or by the event's kind."""
    data = event.data or {}
    if event.action in EVENT_LABELS:
        return _backbone_summary(event.action, data)
    view = kind_spec(event.case.kind).events.get(event.action)
    return view.summary(data) if view is not None and view.summary is not None else ""


# Han characters, CJK punctuation and full-width forms: text a Chinese voice should read.
_CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


@register.filter(needs_autoescape=True)
def zh_text(value, autoescape=True):
    """Data typed in Chinese (a person's or company's name, an address, a department) shown
    in a page of another language: ``<span lang="zh-Hans">`` so that a screen reader reads it
    with a Chinese voice instead of spelling it out. In the Chinese pages, and for text
    without Chinese characters, the value is shown as it is.
    ``{{ customer.name|zh_text }}``"""
    if value is None:
        return ""
    text = str(value)
    if (get_language() or "").lower().startswith("zh") or not _CHINESE.search(text):
        return conditional_escape(text) if autoescape else text
    return format_html('<span lang="zh-Hans">{}</span>', text)


@register.filter
def user_label(user) -> str:
    return user_display_name(user) or str(_("系统"))


@register.simple_tag
def masked(customer, field: str) -> str:
    """A customer's personal field masked (lists and search results)."""
    return customer_masked(customer, field) or "—"


@register.inclusion_tag("workbench/partials/personal_value.html", takes_context=True)
def personal(context, customer, field: str) -> dict:
    """A customer's personal field as the personal-data policy lets this user see it, with
    the "show full" control where the user may reveal it (full displays are logged)."""
    user = context["request"].user
    shown = customer_personal_data(
        user=user, customer=customer, channel=AccessChannel.PAGE, fields=(field,)
    )[field]
    return {"shown": shown, "subject": "customer", "subject_id": customer.public_id}


@register.inclusion_tag("workbench/partials/personal_value.html", takes_context=True)
def case_contact(context, case) -> dict:
    """A case's contact phone under the same policy."""
    user = context["request"].user
    shown = case_contact_phone(user=user, case=case, channel=AccessChannel.PAGE)
    return {"shown": shown, "subject": "case", "subject_id": case.public_id}


@register.simple_tag(takes_context=True)
def customer_banners(context, customer) -> str:
    """The registered customer banners (``cases.kinds.customer_banner_register``) of
    ``customer``, for the pages that show a customer without the customer page (the intake
    forms' picked customer)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if customer is None or user is None:
        return ""
    return mark_safe(  # the registered templates render autoescaped
        "".join(
            render_to_string(template_name, {"banner": banner}, request=request)
            for template_name, banner in customer_banners_for(customer, user)
        )
    )
