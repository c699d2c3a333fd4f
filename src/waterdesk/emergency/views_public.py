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
- The whole page is the same for every visitor who is not logged in and has no message
  waiting, but for the visitor's CSRF token (the language switcher's form): it is kept
  rendered with a slot for the token, which each answer fills in — a read is then one round
  trip to the cache (the version and the page together) and a string replacement instead
  of rendering the shell (a few milliseconds of CPU each: what limits the crowd a web
  process serves).
- ``Cache-Control: public, max-age=30``: browsers and a proxy in front may keep the page
  half a minute. The page carries the visitor's CSRF token (the language switcher's form),
  so the response varies on ``Cookie`` and sets one on a first visit; shared caches do not
  store such answers, browsers do.
- No per-client rate limit (``core.ratelimit.client_over_limit``), unlike the look-up and
  form pages: this page is read-only and reveals nothing personal, a read costs no query,
  and a crowd reads it from behind one address (a housing estate's or a hospital's NAT, a
  mobile carrier's gateway) exactly when it needs it most. Floods are the proxy's to stop.
"""

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
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
LISTING_KEY = "emergency:public:listing:{version}:{language}:{district}"
# One key per language and district holding (version, page): the version and the page are
# read in one round trip to the cache.
PAGE_KEY = "emergency:public:page:{language}:{district}"
# Stands for the visitor's CSRF token in a kept page (letters only: never escaped).
TOKEN_SLOT = "visitorCsrfTokenSlot"
BROWSER_CACHE_SECONDS = 30
DISTRICT_MAX_LENGTH = 50


def _listing(board, *, district: str) -> str:
    events = board.events_in(district) if district else board.events
    return render_to_string(
        LISTING,
        {
            "board": board,
            "district": district,
            "events": events,
            "groups": None if district else board.by_district(),
            "now": timezone.now(),
        },
    )


def _shared(request: HttpRequest, *, district: str) -> bool:
    """Whether the page this visitor gets is everybody's: not logged in, no message
    waiting, and the page's own address (the header's language form returns to it)."""
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or CookieStorage.cookie_name in cookies:
        return False
    canonical = reverse("portal:outages_public", args=[district] if district else [])
    return request.get_full_path() == canonical


def _page_context(version: int, board, *, district: str) -> dict:
    if district and district not in board.districts:
        listing = _listing(board, district=district)
    else:
        key = LISTING_KEY.format(
            version=version, language=translation.get_language(), district=district
        )
        listing = cache.get(key)
        if listing is None:
            listing = _listing(board, district=district)
            cache.set(key, listing, PUBLIC_CACHE_SECONDS)
    # Rendered by this module from the listing template (autoescaped).
    return {"district": district, "listing": mark_safe(listing)}


@require_safe
def outages_public(request: HttpRequest, district: str = "") -> HttpResponse:
    district = (district or request.GET.get("district", "")).strip()[:DISTRICT_MAX_LENGTH]
    shared = _shared(request, district=district)
    page = None
    if shared:
        # Kept only for the districts on the board: a hit needs no board.
        page_key = PAGE_KEY.format(language=translation.get_language(), district=district)
        found = cache.get_many([VERSION_KEY, page_key])
        version = found.get(VERSION_KEY) or public_cache_version()
        kept = found.get(page_key)
        if kept is not None and kept[0] == version:
            page = kept[1]
    else:
        version = public_cache_version()
    if page is None:
        board = public_board(version)
        known = not district or district in board.districts
        context = _page_context(version, board, district=district)
        if shared and known:
            page = render_to_string(PAGE, {**context, "csrf_token": TOKEN_SLOT}, request=request)
            cache.set(page_key, (version, page), PUBLIC_CACHE_SECONDS)
    if page is not None:
        response = HttpResponse(page.replace(TOKEN_SLOT, get_token(request)))
    else:
        response = render(request, PAGE, context)
    patch_cache_control(response, public=True, max_age=BROWSER_CACHE_SECONDS)
    return response
