"""Praise (表扬, R-K1): recorded like complaints — the channel, the matter, the staff member,
department or crew praised — so that praise and complaint counts per department and staff
can be computed side by side."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

PRAISE_MATTER_MAX_LENGTH = 4000
TEAM_NAME_MAX_LENGTH = 100


class PraiseStatus(models.TextChoices):
    REGISTERED = "registered", _("待转达")
    ACKNOWLEDGED = "acknowledged", _("已转达致谢")
    WITHDRAWN = "withdrawn", _("已撤销")


class Praise(models.Model):
    """The detail of a praise case (表扬), 1:1 with ``cases.Case``. Acknowledging it passes it
    to the praised department and thanks the customer."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="praise"
    )
    matter = models.TextField(_("表扬事项"), max_length=PRAISE_MATTER_MAX_LENGTH)
    staff_praised = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("被表扬员工"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="praises",
    )
    department_praised = models.ForeignKey(
        "core.Department",
        verbose_name=_("被表扬部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="praises",
    )
    team_name = models.CharField(_("被表扬班组"), max_length=TEAM_NAME_MAX_LENGTH, blank=True)
    email = models.EmailField(_("联系邮箱"), blank=True)
    acknowledged_at = models.DateTimeField(_("转达时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("转达人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    forwarded_to = models.ForeignKey(
        "core.Department",
        verbose_name=_("转达部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    acknowledge_note = models.TextField(_("转达说明"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("表扬")
        verbose_name_plural = _("表扬")
        permissions = [
            ("intake_praise", _("可登记表扬")),
            ("acknowledge_praise", _("可转达表扬并致谢")),
        ]

    def __str__(self) -> str:
        return str(self.case_id)
