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


def _is_desk_staff(request) -> bool:
    from waterdesk.cases.access import is_desk_staff

    return request.user.is_authenticated and is_desk_staff(request.user)


def _intake_kinds(request) -> list:
    from waterdesk.cases.kinds import all_kinds

    user = request.user
    if not user.is_authenticated:
        return []
    return [
        {"kind": spec.kind, "label": spec.intake.label, "url_name": spec.intake.url_name}
        for spec in all_kinds()
        if spec.intake is not None
        and spec.intake.url_name
        and user.has_perm(spec.intake.permission)
    ]


def _kind_pages(request) -> list:
    from waterdesk.cases.kinds import desk_pages_for

    user = request.user
    return desk_pages_for(user) if user.is_authenticated else []


def workbench(request) -> dict:
    """``provisional_years``: calendar years whose official holiday schedule is not confirmed,
    so deadlines falling in them may still move (the banner of base.html); ``is_desk_staff``:
    whether the user works cases (the queue, intake and customer links); ``intake_kinds``:
    the case kinds the user registers, with their intake pages (the intake tabs);
    ``kind_pages``: the kinds' header pages the user may open (``KindSpec.desk_pages``)."""
    return {
        "provisional_years": SimpleLazyObject(lambda: _provisional_years(request)),
        "is_desk_staff": SimpleLazyObject(lambda: _is_desk_staff(request)),
        "intake_kinds": SimpleLazyObject(lambda: _intake_kinds(request)),
        "kind_pages": SimpleLazyObject(lambda: _kind_pages(request)),
    }
