"""Template helpers of the repair pages."""

from django import template

from waterdesk.cases.models import Channel
from waterdesk.customers.models import AccessChannel
from waterdesk.repairs.selectors.case import repair_contact_phone

register = template.Library()


@register.inclusion_tag("repairs/partials/contact_phone.html", takes_context=True)
def caller_phone(context, case, contact, position: int) -> dict:
    """A caller's phone as the personal-data policy lets this user see it, with the reveal
    control for masked roles that may reveal:
    ``{% caller_phone case contact forloop.counter %}``."""
    shown = repair_contact_phone(
        user=context["request"].user, case=case, contact=contact, channel=AccessChannel.PAGE
    )
    return {
        "case": case,
        "position": position,
        "shown": shown,
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def channel_label(value: str) -> str:
    """A case channel's label: ``{{ contact.channel|channel_label }}``."""
    return str(Channel(value).label) if value in Channel.values else value
