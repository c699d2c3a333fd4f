from django import forms
from django.contrib import admin, messages
from django.template import Engine, TemplateSyntaxError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from waterdesk.core.masking import mask_contact
from waterdesk.notify.models import Notification, NotificationAttempt, NotificationTemplate
from waterdesk.notify.services import notification_retry_now


class NotificationTemplateForm(forms.ModelForm):
    class Meta:
        model = NotificationTemplate
        fields = ["key", "channel", "subject", "body", "description"]

    def _check_syntax(self, field: str) -> str:
        value = self.cleaned_data.get(field, "")
        try:
            Engine.get_default().from_string(value)
        except TemplateSyntaxError as exc:
            raise forms.ValidationError(
                gettext("模板语法错误：%(error)s"), params={"error": exc}
            ) from exc
        return value

    def clean_subject(self) -> str:
        return self._check_syntax("subject")

    def clean_body(self) -> str:
        return self._check_syntax("body")


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(SimpleHistoryAdmin):
    form = NotificationTemplateForm
    list_display = ["key", "channel", "subject", "updated_at"]
    list_filter = ["channel"]
    search_fields = ["key", "subject", "body"]


class NotificationAttemptInline(admin.TabularInline):
    model = NotificationAttempt
    extra = 0
    can_delete = False
    fields = ["number", "started_at", "finished_at", "outcome", "error", "provider_message_id"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The outbox is written by services only; here it is read and nudged ("retry now")."""

    list_display = [
        "created_at",
        "channel",
        "masked_recipient",
        "template_key",
        "case",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "channel", "template_key"]
    # Addresses are shown masked like everywhere else (R-P1); an exact one can be searched.
    search_fields = ["=recipient_address", "case__number"]
    list_select_related = ["case"]
    date_hierarchy = "created_at"
    actions = ["retry_now"]
    inlines = [NotificationAttemptInline]
    readonly_fields = [
        "public_id",
        "template_key",
        "channel",
        "is_urgent",
        "masked_recipient",
        "recipient_user",
        "customer",
        "case",
        "subject",
        "body",
        "status",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "last_error",
        "sent_at",
        "provider_message_id",
        "created_at",
        "dedupe_key",
    ]
    fields = readonly_fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("接收地址"), ordering="recipient_address")
    def masked_recipient(self, obj: Notification) -> str:
        return mask_contact(obj.recipient_address)

    def has_change_permission(self, request, obj=None) -> bool:
        # The change list needs "change" for the action; a single row is read-only.
        return obj is None and super().has_change_permission(request)

    @admin.action(description=_("立即重发"), permissions=["change"])
    def retry_now(self, request, queryset) -> None:
        count = notification_retry_now(
            notification_ids=queryset.values_list("pk", flat=True), actor=request.user
        )
        self.message_user(
            request,
            gettext("已安排 %(count)d 条通知重新发送。") % {"count": count},
            messages.SUCCESS,
        )
