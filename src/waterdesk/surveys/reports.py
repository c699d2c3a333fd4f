"""The survey results as an Excel file: one sheet per grouping (department, staff member,
case kind, month), each row with its count, answers, response rate, average and the
distribution of the scores."""

from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from waterdesk.core.xlsx import Cell, workbook_bytes
from waterdesk.surveys.selectors import ScoreRow, survey_results

SHEETS = (
    ("department", gettext_lazy("按部门"), gettext_lazy("部门")),
    ("staff", gettext_lazy("按人员"), gettext_lazy("经办人")),
    ("kind", gettext_lazy("按业务类型"), gettext_lazy("业务类型")),
    ("month", gettext_lazy("按月份"), gettext_lazy("月份")),
)


def _rows(heading, rows: list[ScoreRow]):
    yield [
        Cell(str(heading), bold=True),
        Cell(_("发送数"), bold=True),
        Cell(_("回复数"), bold=True),
        Cell(_("回复率（%）"), bold=True),
        Cell(_("平均分"), bold=True),
        *[Cell(_("%(score)d 分") % {"score": n}, bold=True) for n in range(1, 6)],
    ]
    for row in rows:
        yield [
            row.label,
            row.sent,
            row.answered,
            row.response_rate,
            row.average,
            *row.distribution,
        ]


def survey_results_xlsx(*, start: datetime | None, end: datetime | None) -> bytes:
    return workbook_bytes(
        [
            (str(title), _rows(heading, survey_results(group=group, start=start, end=end)))
            for group, title, heading in SHEETS
        ]
    )
