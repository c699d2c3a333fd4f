"""The complaint mailbox's record of each message read (by its Message-ID), so that a
message read twice (the poller and the forwarding alias, a retried pipe) is one case."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ComplaintMail(models.Model):
    message_id = models.CharField(_("邮件标识"), max_length=255, unique=True)
    received_at = models.DateTimeField(_("接收时间"))
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="complaint_mails")
    from_address = models.EmailField(_("发件人"), max_length=254)

    class Meta:
        verbose_name = _("投诉邮件")
        verbose_name_plural = _("投诉邮件")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.message_id
