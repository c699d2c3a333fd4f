"""Template helpers of the inquiry pages."""

from django import template

register = template.Library()


@register.filter
def permitted(links, perms) -> list:
    """The follow-up links whose intake permission the user holds:
    ``{% with links=follow_up_links|permitted:perms %}``."""
    return [link for link in links if link.permission in perms]
