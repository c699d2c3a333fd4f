from django.urls import include, path

from waterdesk.cases.kinds import url_modules
from waterdesk.workbench import customer, privacy, views

app_name = "workbench"


def _kind_pages() -> list:
    """Each registered kind's own pages (its intake …), in this namespace under /desk/."""
    return [path("", include(module)) for module in url_modules("page_urls")]


urlpatterns = [
    path("", views.queue, name="queue"),
    path("home/", views.home, name="home"),
    path("customers/", views.customers, name="customers"),
    path("customers/search/", views.customer_search_results, name="customer_search"),
    path("customers/<uuid:public_id>/", customer.customer_detail, name="customer"),
    path("customers/<uuid:public_id>/pick/", views.customer_pick, name="customer_pick"),
    path("cases/<uuid:public_id>/", views.case_detail, name="case"),
    path("cases/<uuid:public_id>/actions/<slug:action>/", views.case_action, name="case_action"),
    path("cases/<uuid:public_id>/attachments/", views.attachment_add, name="attachment_add"),
    path(
        "cases/<uuid:public_id>/attachments/<uuid:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
    path(
        "cases/<uuid:public_id>/attachments/<uuid:attachment_id>/withdraw/",
        views.attachment_withdraw,
        name="attachment_withdraw",
    ),
    path("cases/<uuid:public_id>/claim/", views.case_claim, name="claim"),
    path("cases/<uuid:public_id>/assign/", views.case_assign, name="assign"),
    path("cases/<uuid:public_id>/<slug:name>.pdf", views.document, name="document"),
    path("supervisor/", views.supervisor, name="supervisor"),
    path("supervisor/workload/", views.workload, name="workload"),
    path("supervisor/workload/assign/", views.workload_assign, name="workload_assign"),
    path("privacy/reveal/", privacy.reveal, name="privacy_reveal"),
    path("privacy/access-log/", privacy.access_log, name="access_log"),
    *_kind_pages(),
]
