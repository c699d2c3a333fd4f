"""The public water-quality page (/water-quality/, namespace "portal"): the compliance rate
per plant and per supply zone over the last 30 days, the latest results at each sampling
point, and the published monthly and quarterly reports with their downloads. No login,
nothing personal (plants, zones and sampling points only).

Cache-friendly in the way of the public outage page (``emergency.views_public``):

- A visitor who is not logged in (no session cookie, no message waiting) gets the same
  bytes as every other such visitor of the same address and language: no CSRF token, the
  language chosen by plain links (``?lang=en``), no ``Set-Cookie`` nor ``Vary: Cookie``,
  and ``Cache-Control: public, max-age=60``: a shared cache in front may keep it.
- The page is kept rendered in the cache per language, area and day under the disclosure
  version (``selectors_disclosure.disclosure_version``), which a published report moves on;
  confirmed results show within ``PUBLIC_CACHE_SECONDS``. Only the page's own addresses
  are kept (any other text in the URL must not fill the cache); an unknown area is a 404.
- Staff who are logged in get the normal shell, never kept (``private``, ``no-store``).
- A published report's downloads are public and never change (``max-age`` an hour); a
  report that is not published does not exist here (404)."""

from contextlib import nullcontext
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.context_processors import PermWrapper
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.encoding import iri_to_uri
from django.views.decorators.http import require_safe

from waterdesk.core.pdf import pdf_response
from waterdesk.core.xlsx import xlsx_response
from waterdesk.quality.documents import report_csv, report_filename, report_pdf, report_xlsx
from waterdesk.quality.selectors_disclosure import (
    PUBLIC_CACHE_SECONDS,
    PUBLIC_DAYS,
    compliance_figures,
    disclosure_version,
    latest_results,
    public_area,
    public_period,
    published_reports,
)

PAGE = "quality/public/disclosure.html"
PAGE_KEY = "quality:public:page:{version}:{day}:{language}:{chosen}:{code}"
LANGUAGE_PARAMETER = "lang"
BROWSER_CACHE_SECONDS = 60
DOWNLOAD_CACHE_SECONDS = 3600
FORMATS = ("pdf", "csv", "xlsx")


def _anonymous(request: HttpRequest) -> bool:
    """Not logged in and no message waiting, known from the cookies alone."""
    cookies = request.COOKIES
    return not (settings.SESSION_COOKIE_NAME in cookies or CookieStorage.cookie_name in cookies)


def _chosen_language(request: HttpRequest) -> str:
    value = request.GET.get(LANGUAGE_PARAMETER, "")
    return value if value in dict(settings.LANGUAGES) else ""


def _language_links(request: HttpRequest) -> list[dict]:
    current = translation.get_language()
    return [
        {
            "code": code,
            "name": translation.get_language_info(code)["name_local"],
            "current": code == current,
            "url": f"{iri_to_uri(request.path)}?{urlencode({LANGUAGE_PARAMETER: code})}",
        }
        for code, _name in settings.LANGUAGES
    ]


def _context(found, *, lang_query: str) -> dict:
    start, end = public_period()
    figures = compliance_figures(start=start, end=end)
    kind, area = found if found else ("", None)
    if kind == "plant":
        latest = latest_results(plant=area)
        shown = [item for item in figures.plants if item.code == area.code]
    elif kind == "zone":
        latest = latest_results(zone_ids=[area.pk])
        shown = [item for item in figures.zones if item.code == area.code]
    else:
        latest = latest_results()
        shown = []
    return {
        "area": area,
        "area_kind": kind,
        "area_rows": shown,
        "figures": figures,
        "latest": latest,
        "days": PUBLIC_DAYS,
        "reports": list(published_reports()),
        "lang_query": lang_query,
        "formats": FORMATS,
    }


@require_safe
def quality_public(request: HttpRequest, code: str = "") -> HttpResponse:
    found = public_area(code) if code else None
    if code and found is None:
        raise Http404()
    if not _anonymous(request):
        response = render(request, PAGE, _context(found, lang_query=""))
        add_never_cache_headers(response)
        return response
    chosen = _chosen_language(request)
    with translation.override(chosen) if chosen else nullcontext():
        language = translation.get_language()
        canonical = reverse("portal:quality_public", args=[code] if code else [])
        if chosen:
            canonical += f"?{LANGUAGE_PARAMETER}={chosen}"
        keep = request.get_full_path() == canonical
        key = PAGE_KEY.format(
            version=disclosure_version(),
            day=timezone.localdate().isoformat(),
            language=language,
            chosen=chosen,
            code=code,
        )
        page = cache.get(key) if keep else None
        if page is None:
            anonymous = AnonymousUser()
            lang_query = f"?{LANGUAGE_PARAMETER}={chosen}" if chosen else ""
            page = render_to_string(
                PAGE,
                {
                    **_context(found, lang_query=lang_query),
                    "language_links": _language_links(request),
                    "user": anonymous,
                    "perms": PermWrapper(anonymous),
                    "messages": (),
                    "csrf_token": "",
                },
                request=request,
            )
            if keep:
                cache.set(key, page, PUBLIC_CACHE_SECONDS)
    response = HttpResponse(page)
    response["Content-Language"] = language
    patch_cache_control(response, public=True, max_age=BROWSER_CACHE_SECONDS)
    return response


@require_safe
def quality_public_report(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """A published report's PDF, CSV or Excel file."""
    report = published_reports().filter(pk=pk).first()
    if report is None or fmt not in FORMATS:
        raise Http404()
    response = report_download(report, fmt)
    patch_cache_control(response, public=True, max_age=DOWNLOAD_CACHE_SECONDS)
    return response


def report_download(report, fmt: str) -> HttpResponse:
    """The report's file in ``fmt`` (pdf, csv, xlsx): shared with the staff pages."""
    if fmt == "pdf":
        return pdf_response(report_pdf(report), report_filename(report, "pdf"))
    if fmt == "xlsx":
        return xlsx_response(report_xlsx(report), filename=report_filename(report, "xlsx"))
    response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{report_filename(report, "csv")}"'
    return response
