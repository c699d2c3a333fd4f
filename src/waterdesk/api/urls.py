from django.urls import include, path

from waterdesk.api import views
from waterdesk.api.docs import ApiDocsView, ApiSchemaView
from waterdesk.api.schema import SCHEMA_SETTINGS
from waterdesk.cases.kinds import url_modules

app_name = "api"


def _kind_endpoints() -> list:
    """Each registered kind's own endpoints besides intake and actions (a city hotline's
    transfers), in this namespace under /api/."""
    return [path("", include(module)) for module in url_modules("api_urls")]


urlpatterns = [
    path("cases/", views.CaseListView.as_view(), name="case-list"),
    path("cases/queue/", views.CaseQueueView.as_view(), name="case-queue"),
    path("cases/<uuid:public_id>/", views.CaseDetailView.as_view(), name="case-detail"),
    path(
        "cases/<uuid:public_id>/receipt.pdf", views.CaseReceiptView.as_view(), name="case-receipt"
    ),
    path("cases/<uuid:public_id>/reveal/", views.CaseRevealView.as_view(), name="case-reveal"),
    path("cases/<uuid:public_id>/claim/", views.CaseClaimView.as_view(), name="case-claim"),
    path("cases/<uuid:public_id>/assign/", views.CaseAssignView.as_view(), name="case-assign"),
    path(
        "cases/<uuid:public_id>/attachments/",
        views.CaseAttachmentView.as_view(),
        name="case-attachments",
    ),
    path(
        "cases/<uuid:public_id>/attachments/<uuid:attachment_id>/withdraw/",
        views.CaseAttachmentWithdrawView.as_view(),
        name="case-attachment-withdraw",
    ),
    *[
        path(
            f"cases/<uuid:public_id>/actions/{action}/",
            views.CaseActionView.as_view(action_name=action),
            name=f"case-action-{action}",
        )
        for action in views.action_names()
    ],
    # Each registered kind's intake (POST /api/new-connections/ …).
    *[
        path(
            spec.intake.api_path,
            views.CaseIntakeView.as_view(kind=spec.kind),
            name=spec.intake.api_name,
        )
        for spec in views.intake_kinds()
    ],
    *_kind_endpoints(),
    path("customers/", views.CustomerListView.as_view(), name="customer-list"),
    path("customers/<uuid:public_id>/", views.CustomerDetailView.as_view(), name="customer-detail"),
    path(
        "customers/<uuid:public_id>/reveal/",
        views.CustomerRevealView.as_view(),
        name="customer-reveal",
    ),
    path("calendar/due/", views.CalendarDueView.as_view(), name="calendar-due"),
    path("billing/", include("waterdesk.billing.api.urls")),
    path("payments/", include("waterdesk.payments.api.urls")),
    path(
        "schema/",
        ApiSchemaView.as_view(custom_settings=SCHEMA_SETTINGS),
        name="schema",
    ),
    path("docs/", ApiDocsView.as_view(url_name="api:schema"), name="docs"),
]
