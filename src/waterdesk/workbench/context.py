"""Template context of every page: what base.html needs beyond the request and the user."""

from django.utils.functional import SimpleLazyObject

_CACHE_ATTRIBUTE = "_workbench_provisional_years"


def _provisional_years(request) -> list[int]:
    # Read at most once per request, and only when a template actually shows the banner.
    years = getattr(request, _CACHE_ATTRIBUTE, None)
    if years is None:
        from waterdesk.sla.selectors import provisional_years

        years = provisional_years()
        setattr(request, _CACHE_ATTRIBUTE, years)
    return years


def workbench(request) -> dict:
    """``provisional_years``: calendar years whose official holiday schedule is not confirmed,
    so deadlines falling in them may still move (the banner of base.html)."""
    return {"provisional_years": SimpleLazyObject(lambda: _provisional_years(request))}
