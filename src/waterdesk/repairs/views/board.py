"""The dispatcher's board page (``workbench:repair_board``): for dispatchers, and for
supervisors who see every case. Thin: the selector builds the board; an htmx request (the
30-second refresh) gets only the part that changes."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from waterdesk.core.web import is_htmx, staff_view
from waterdesk.repairs.selectors.board import repair_board as board_build
from waterdesk.repairs.workflow import DISPATCH_PERMISSION

SUPERVISOR_PERMISSION = "cases.view_all_cases"
REFRESH_SECONDS = 30


def _page_number(text: str) -> int:
    return int(text) if text.isdigit() and 0 < len(text) < 6 else 1


def _page_url(request: HttpRequest, page: int) -> str:
    """This board's URL (its filters kept) at ``page``."""
    query = request.GET.copy()
    query["page"] = str(page)
    return f"{request.path}?{query.urlencode()}"


def may_view_board(user) -> bool:
    return user.has_perm(DISPATCH_PERMISSION) or user.has_perm(SUPERVISOR_PERMISSION)


@require_GET
@staff_view(may_view_board)
def repair_board(request: HttpRequest) -> HttpResponse:
    board = board_build(
        now=timezone.now(),
        status=request.GET.get("status", ""),
        urgency=request.GET.get("urgency", ""),
        page=_page_number(request.GET.get("page", "")),
    )
    context = {
        "board": board,
        "refresh_url": request.get_full_path(),
        "refresh_seconds": REFRESH_SECONDS,
        "previous_url": _page_url(request, board.page - 1) if board.page > 1 else "",
        "next_url": _page_url(request, board.page + 1) if board.page < board.pages else "",
    }
    template = "repairs/board_content.html" if is_htmx(request) else "repairs/board.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
