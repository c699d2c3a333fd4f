"""Helpers of the staff pages, shared by every app that has pages (the workbench shell and
the domain apps' own views): the door of a view, refusals as pages, htmx detection."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from waterdesk.core.errors import DomainError, NotFound, NotPermitted

# Domain refusals shown as the refusal page with their own status (403 not permitted,
# 429 too many look-ups); anything else a view does not catch is a programming error.
REFUSAL_STATUSES = frozenset({403, 429})


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def has_perm(permission: str) -> Callable[..., bool]:
    return lambda user: user.has_perm(permission)


def is_active(user) -> bool:
    return user.is_active


def forbidden(request: HttpRequest, message=None, *, status: int = 403) -> HttpResponse:
    return render(
        request,
        "workbench/403.html",
        {"message": message or NotPermitted.default_message},
        status=status,
    )


def staff_view(check: Callable[..., bool]):
    """Log-in required, then ``check(user)``; domain refusals become 404 / 403 pages."""

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                if is_htmx(request):
                    # A partial refresh after the session expired: send the whole page away.
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = redirect_to_login(request.get_full_path()).url
                    return response
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                return forbidden(request)
            try:
                return view(request, *args, **kwargs)
            except NotFound as error:
                raise Http404(str(error.message)) from error
            except DomainError as error:
                if error.http_status not in REFUSAL_STATUSES:
                    raise
                return forbidden(request, error.message, status=error.http_status)

        return wrapper

    return decorator


def form_post(request: HttpRequest, form, call: Callable[..., object], *, success, to: str):
    """The POST half of a form page: a valid form is handed to ``call`` (its service, given
    the cleaned data), the user is told ``success(result)`` and sent to the URL name ``to``;
    a domain refusal goes on the form (a NotPermitted becomes the refusal page). Returns the
    redirect, or None when the form is to be shown again with its errors (status 400)."""
    if not form.is_valid():
        return None
    try:
        result = call(**form.cleaned_data)
    except NotPermitted:
        raise
    except DomainError as error:
        form.add_domain_error(error)
        return None
    messages.success(request, success(result))
    return redirect(to)
