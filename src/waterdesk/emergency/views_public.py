"""The public outage page (/outages/, namespace "portal"): current incidents and planned
outages by district, for anyone, without login.

Built for a crowd: during a burst main tens of thousands of people open it at once.

- The board (``selectors_public.public_board``) and the page's listing, rendered once per
  district and language, are kept in the cache (Redis in the scaled mode, shared by every
  web process) under the public pages' version; every service that changes what the page
  shows moves the version on (``public_pages_changed``), so a change shows at the next
  read, and an entry lives ``PUBLIC_CACHE_SECONDS`` at most. A read after the first costs
  no query. A district that no event touches is answered from the cached board without a
  cache entry of its own (any text in the URL must not fill the cache).
- A visitor who is not logged in (no session cookie, no message waiting) gets exactly the
  same bytes as every other such visitor of the same address and language: no CSRF token
  (the shell's language switcher, a CSRF-protected form, becomes plain links
  ``?lang=en`` / ``?lang=zh-hans``), and nothing in the answer's path opens the session or
  asks for a token — so no ``Set-Cookie`` and no ``Vary: Cookie``, and a shared cache in
  front (nginx ``proxy_cache``, a CDN: ``deploy/nginx.conf``) may keep the page. The page
  is kept rendered per language and district; a read is one round trip to the cache (the
  version and the page together), without rendering the shell.
- The language: ``?lang=`` when it names a language of the site (the page's links then
  keep it), otherwise the language cookie (``ChosenLanguageMiddleware``), otherwise Chinese.
  Following the link sets no cookie (that would make the answer personal). The answer does
  not say ``Vary: Cookie`` (every shared cache would then keep one copy per visitor): a
  cache in front must put the language cookie's value in its key, as ``deploy/nginx.conf``
  does (normalised to the site's languages), or pass requests carrying it through.
- ``Cache-Control: public, max-age=30`` for those visitors: browsers and a proxy in front
  keep the page half a minute. Staff who are logged in (and a visitor with a message
  waiting) get the normal shell with their own header and token, never kept by anyone
  (``private``, ``no-store``).
- No per-client rate limit (``core.ratelimit.client_over_limit``), unlike the look-up and
  form pages: this page is read-only and reveals nothing personal, a read costs no query,
  and a crowd reads it from behind one address (a housing estate's or a hospital's NAT, a
  mobile carrier's gateway) exactly when it needs it most. Floods are the proxy's to stop.
"""

from contextlib import nullcontext
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.context_processors import PermWrapper
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.encoding import iri_to_uri
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from waterdesk.emergency.public_cache import (
    PUBLIC_CACHE_SECONDS,
    VERSION_KEY,
    public_cache_version,
)
from waterdesk.emergency.selectors_public import public_board

PAGE = "emergency/public/outages.html"
LISTING = "emergency/public/listing.html"
LISTING_KEY = "emergency:public:listing:{version}:{language}:{chosen}:{district}"
# One key per language (and whether ?lang= chose it: the links keep it) and district
# holding (version, page): the version and the page are read in one round trip.
PAGE_KEY = "emergency:public:page:{language}:{chosen}:{district}"
LANGUAGE_PARAMETER = "lang"
BROWSER_CACHE_SECONDS = 30
DISTRICT_MAX_LENGTH = 50


def _listing(board, *, district: str, lang_query: str) -> str:
    events = board.events_in(district) if district else board.events
    return render_to_string(
        LISTING,
        {
            "board": board,
            "district": district,
            "events": events,
            "groups": None if district else board.by_district(),
            "now": timezone.now(),
            "lang_query": lang_query,
        },
    )


def _anonymous(request: HttpRequest) -> bool:
    """Not logged in and no message waiting, known from the cookies alone (without opening
    the session: that would make the answer vary on ``Cookie``)."""
    cookies = request.COOKIES
    return not (settings.SESSION_COOKIE_NAME in cookies or CookieStorage.cookie_name in cookies)


def _chosen_language(request: HttpRequest) -> str:
    """The language ``?lang=`` names, if the site has it; "" otherwise."""
    value = request.GET.get(LANGUAGE_PARAMETER, "")
    return value if value in dict(settings.LANGUAGES) else ""


def _language_links(request: HttpRequest, *, district_query: str) -> list[dict]:
    """The header's language choice as links to this page (``?lang=``), for the visitors
    who get the shared page."""
    current = translation.get_language()
    links = []
    for code, _name in settings.LANGUAGES:
        query = {"district": district_query} if district_query else {}
        query[LANGUAGE_PARAMETER] = code
        links.append(
            {
                "code": code,
                "name": translation.get_language_info(code)["name_local"],
                "current": code == current,
                "url": f"{iri_to_uri(request.path)}?{urlencode(query)}",
            }
        )
    return links


def _listing_html(version: int, board, *, district: str, chosen: str) -> str:
    lang_query = f"?{LANGUAGE_PARAMETER}={chosen}" if chosen else ""
    if district and district not in board.districts:
        return _listing(board, district=district, lang_query=lang_query)
    key = LISTING_KEY.format(
        version=version, language=translation.get_language(), chosen=chosen, district=district
    )
    listing = cache.get(key)
    if listing is None:
        listing = _listing(board, district=district, lang_query=lang_query)
        cache.set(key, listing, PUBLIC_CACHE_SECONDS)
    return listing


def _shared_page(request: HttpRequest, *, district: str, district_query: str, chosen: str) -> str:
    """The page of a visitor who is not logged in: kept in the cache for the page's own
    address (``/outages/``, ``/outages/<district>/``, with or without ``?lang=``) of a
    district on the board; rendered afresh for any other address (any text in the URL must
    not fill the cache)."""
    canonical = reverse("portal:outages_public", args=[district] if district else [])
    if chosen:
        canonical += f"?{LANGUAGE_PARAMETER}={chosen}"
    keep = request.get_full_path() == canonical
    page_key = PAGE_KEY.format(
        language=translation.get_language(), chosen=chosen, district=district
    )
    if keep:  # kept only for the districts on the board: a hit needs no board
        found = cache.get_many([VERSION_KEY, page_key])
        version = found.get(VERSION_KEY) or public_cache_version()
        kept = found.get(page_key)
        if kept is not None and kept[0] == version:
            return kept[1]
    else:
        version = public_cache_version()
    board = public_board(version)
    listing = _listing_html(version, board, district=district, chosen=chosen)
    anonymous = AnonymousUser()
    page = render_to_string(
        PAGE,
        {
            # Rendered by this module from the listing template (autoescaped).
            "district": district,
            "listing": mark_safe(listing),
            "language_links": _language_links(request, district_query=district_query),
            # Known from the cookies: the session, the messages and the CSRF token are
            # never opened (each would make the answer personal).
            "user": anonymous,
            "perms": PermWrapper(anonymous),
            "messages": (),
            "csrf_token": "",
        },
        request=request,
    )
    if keep and (not district or district in board.districts):
        cache.set(page_key, (version, page), PUBLIC_CACHE_SECONDS)
    return page


@require_safe
def outages_public(request: HttpRequest, district: str = "") -> HttpResponse:
    # ``/outages/?district=…`` (the page's filter) or ``/outages/<district>/``.
    district_query = "" if district else request.GET.get("district", "")
    district = (district or district_query).strip()[:DISTRICT_MAX_LENGTH]
    if not _anonymous(request):
        version = public_cache_version()
        board = public_board(version)
        listing = _listing_html(version, board, district=district, chosen="")
        response = render(request, PAGE, {"district": district, "listing": mark_safe(listing)})
        add_never_cache_headers(response)
        return response
    chosen = _chosen_language(request)
    with translation.override(chosen) if chosen else nullcontext():
        page = _shared_page(
            request, district=district, district_query=district_query, chosen=chosen
        )
        language = translation.get_language()
    response = HttpResponse(page)
    response["Content-Language"] = language
    patch_cache_control(response, public=True, max_age=BROWSER_CACHE_SECONDS)
    return response
