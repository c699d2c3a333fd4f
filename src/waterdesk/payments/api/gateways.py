"""The gateways' callbacks: POST /api/payments/gateways/<code>/notify/.

A plain Django view, not DRF: no session or token authentication, no CSRF, no throttling —
a gateway is authenticated by its signature alone (``payments.services.gateways``), and
refusing its retries would only delay money. It answers in the gateway's own format.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from waterdesk.core.security import client_ip
from waterdesk.payments.gateways import CallbackRequest, gateway_get
from waterdesk.payments.services.gateways import gateway_callback_handle


@csrf_exempt
@require_POST
def gateway_notify(request: HttpRequest, code: str) -> HttpResponse:
    if gateway_get(code) is None:
        raise Http404
    callback = CallbackRequest(
        body=request.body,
        headers=dict(request.headers),
        content_type=request.content_type or "",
    )
    result = gateway_callback_handle(code=code, request=callback, remote_addr=client_ip(request))
    return result.answer.response()


urlpatterns = [
    path(
        "gateways/<slug:code>/notify/",
        gateway_notify,
        name="payments-gateway-notify",
    ),
]
