"""The complaint analysis as an Excel workbook (``waterdesk.core.xlsx``): the figures and
the filters, one sheet per breakdown, the repeat complainants (phones masked) and every
complaint open now by its nearest deadline. Counts are numbers, times local text."""

from django.utils.translation import gettext as _

from waterdesk.complaints.analysis import Analysis, CountRow
from waterdesk.core.timeutil import local
from waterdesk.core.xlsx import Cell, workbook_bytes


def _when(value) -> str:
    return local(value).strftime("%Y-%m-%d %H:%M") if value is not None else ""


def _heading(*texts) -> list:
    return [Cell(str(text), bold=True) for text in texts]


def breakdown_titles() -> dict[str, str]:
    """The sheet (and the page's section) title of each breakdown."""
    return {
        "category": _("按投诉类别"),
        "department": _("按承办部门"),
        "staff": _("按被投诉员工"),
        "root_cause": _("按原因分类"),
        "month": _("按受理月份"),
    }


def _summary_rows(analysis: Analysis) -> list[list]:
    filters, summary = analysis.filters, analysis.summary
    return [
        _heading(_("投诉分析")),
        [_("受理期间"), f"{filters.start.isoformat()} 至 {filters.end.isoformat()}"],
        [_("承办部门"), filters.department.name if filters.department else _("全部部门")],
        [_("投诉类别"), filters.category.name if filters.category else _("全部类别")],
        [],
        _heading(_("指标"), _("数值")),
        [_("投诉总数"), summary.total],
        [_("其中未办结"), summary.open],
        [_("调查属实"), summary.substantiated],
        [_("调查不属实"), summary.unsubstantiated],
        [_("尚无结论"), summary.undecided],
        [_("属实率（%）"), summary.substantiated_share],
        [_("12345 转办件"), summary.city_hotline],
        [_("12345 转办占比（%）"), summary.city_hotline_share],
        [_("已首次答复"), summary.replied],
        [_("平均首次答复用时（小时）"), summary.first_reply_hours],
        [_("重复投诉人"), analysis.repeat_count],
    ]


def _breakdown_rows(title: str, rows: list[CountRow]) -> list[list]:
    return [_heading(title, _("投诉数")), *[[row.label, row.count] for row in rows]]


def _repeat_rows(analysis: Analysis) -> list[list]:
    rows = [_heading(_("联系电话"), _("投诉数"), _("最近受理"), _("受理编号"))]
    for repeat in analysis.repeats:
        rows.append(
            [
                repeat.masked_phone,
                repeat.count,
                _when(repeat.last_opened_at),
                "、".join(case.number for case in repeat.cases),
            ]
        )
    return rows


def _open_rows(analysis: Analysis) -> list[list]:
    rows = [
        _heading(
            _("受理编号"),
            _("状态"),
            _("投诉类别"),
            _("承办部门"),
            _("受理时间"),
            _("当前轮次"),
            _("升级层级"),
            _("最近时限"),
            _("时限节点"),
            _("已超时"),
            _("12345 转办"),
        )
    ]
    for row in analysis.open_complaints:
        rows.append(
            [
                row.number,
                row.status_label,
                row.category,
                row.department,
                _when(row.opened_at),
                row.round,
                row.escalation_label,
                _when(row.due_at),
                row.milestone,
                _("是") if row.is_overdue else _("否"),
                _("是") if row.is_city_hotline else _("否"),
            ]
        )
    return rows


def complaint_analysis_xlsx(analysis: Analysis) -> bytes:
    """The workbook of ``analysis`` (made with ``complete=True``: every repeat complainant
    and every open complaint)."""
    titles = breakdown_titles()
    return workbook_bytes(
        [
            (_("概况"), _summary_rows(analysis)),
            *[
                (titles[name], _breakdown_rows(titles[name], rows))
                for name, rows in analysis.breakdowns.items()
            ],
            (_("重复投诉人"), _repeat_rows(analysis)),
            (_("未办结投诉"), _open_rows(analysis)),
        ]
    )
