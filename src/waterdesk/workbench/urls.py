from django.urls import path

from waterdesk.workbench import privacy, views

app_name = "workbench"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("home/", views.home, name="home"),
    path("intake/", views.intake, name="intake"),
    path("intake/transfer/", views.intake_transfer, name="intake_transfer"),
    path("intake/usage-change/", views.intake_usage_change, name="intake_usage_change"),
    path("accounts/lookup/", views.account_lookup, name="account_lookup"),
    path("customers/", views.customers, name="customers"),
    path("customers/search/", views.customer_search_results, name="customer_search"),
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
    path("cases/<uuid:public_id>/receipt.pdf", views.receipt, name="receipt"),
    path("supervisor/", views.supervisor, name="supervisor"),
    path("privacy/reveal/", privacy.reveal, name="privacy_reveal"),
    path("privacy/access-log/", privacy.access_log, name="access_log"),
]
