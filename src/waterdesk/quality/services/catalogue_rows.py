"""Reading an edition's indicator table (the CSV of ``data/``, or a new edition's file in
the same columns) into the field values of ``Indicator`` rows, checked. Model-free, so that
the seeding migration uses it as well as ``catalogue.edition_load``."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.utils.translation import gettext as _

from waterdesk.core.errors import InvalidInput

INITIAL_CSV = Path(__file__).resolve().parent.parent / "data" / "gb5749-2022-indicators.csv"
INITIAL_EDITION = {
    "code": "gb5749-2022",
    "name": "GB 5749-2022 生活饮用水卫生标准",
    "effective_from": "2023-04-01",
}
COLUMNS = ("code", "name_zh", "group", "category", "unit", "limit_type", "min", "max")
GROUPS = ("routine", "extended")
CATEGORIES = ("microbiological", "toxicological", "sensory_general", "radiological", "disinfectant")
LIMIT_TYPES = (
    "max",
    "max_exclusive",
    "min",
    "range",
    "not_detected",
    "descriptive",
    "sum_of_ratios",
    "guidance_max",
)
SCOPES = ("all", "outlet", "tap")
# The limit types and the bounds each needs.
NEEDS = {
    "max": ("max",),
    "max_exclusive": ("max",),
    "min": ("min",),
    "range": ("min", "max"),
    "sum_of_ratios": ("max",),
    "guidance_max": ("max",),
    "not_detected": (),
    "descriptive": (),
}
# The standard's conditions, as keys (matched in the note, longest first).
CONDITION_WORDS = (
    ("composite chlorine dioxide", ("composite_chlorine_dioxide",)),
    ("chlorine dioxide", ("chlorine_dioxide", "composite_chlorine_dioxide")),
    ("chloramine", ("chloramine",)),
    ("chlorine", ("chlorine",)),
    ("ozone", ("ozone",)),
    ("algal bloom", ("algal_bloom",)),
)
# Members of a sum of ratios when the file does not list them (trihalomethanes).
DEFAULT_MEMBERS = {
    "thm_total": ["chloroform", "bromodichloromethane", "dibromochloromethane", "bromoform"]
}


def conditions_from_note(note: str) -> list[str]:
    """ "when chlorine dioxide disinfection is used" → ["chlorine_dioxide",
    "composite_chlorine_dioxide"]; a note that names no condition → []."""
    text = (note or "").lower()
    if not text.startswith(("when ", "applies ")):
        return []
    for words, keys in CONDITION_WORDS:
        if words in text:
            return list(keys)
    return []


def _bound(row: Mapping[str, str], column: str, line: int) -> Decimal | None:
    raw = (row.get(column) or "").strip()
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0:
        raise InvalidInput(
            _("第 %(line)d 行：%(column)s 不是有效的数值（%(raw)s）。")
            % {"line": line, "column": column, "raw": raw[:30]},
            code="catalogue_bad_value",
        )
    return value


def indicator_fields(rows: Iterable[Mapping[str, str]]) -> list[dict]:
    """The ``Indicator`` field values of each row, in order; the first bad row is refused
    with its line number (line 1 is the header)."""
    fields: list[dict] = []
    seen: set[str] = set()
    for line, row in enumerate(rows, start=2):
        missing = [column for column in COLUMNS if column not in row]
        if missing:
            raise InvalidInput(
                _("指标表缺少列：%(columns)s。") % {"columns": ", ".join(missing)},
                code="catalogue_columns",
            )
        code = (row["code"] or "").strip()
        limit_type = (row["limit_type"] or "").strip()
        scope = (row.get("point_scope") or "all").strip() or "all"
        problems = []
        if not code or code in seen:
            problems.append(_("指标编码为空或重复"))
        if (row["group"] or "").strip() not in GROUPS:
            problems.append(_("分类应为 routine 或 extended"))
        if (row["category"] or "").strip() not in CATEGORIES:
            problems.append(_("类别不正确"))
        if limit_type not in LIMIT_TYPES:
            problems.append(_("限值类型不正确"))
        if scope not in SCOPES:
            problems.append(_("适用水样应为 all、outlet 或 tap"))
        if problems:
            raise InvalidInput(
                _("第 %(line)d 行（%(code)s）：%(problems)s。")
                % {"line": line, "code": code, "problems": "；".join(str(p) for p in problems)},
                code="catalogue_bad_row",
            )
        low, high = _bound(row, "min", line), _bound(row, "max", line)
        needed = NEEDS[limit_type]
        if ("min" in needed and low is None) or ("max" in needed and high is None):
            raise InvalidInput(
                _("第 %(line)d 行（%(code)s）：限值类型 %(type)s 须填写 %(bounds)s。")
                % {"line": line, "code": code, "type": limit_type, "bounds": "/".join(needed)},
                code="catalogue_bad_row",
            )
        if low is not None and high is not None and low > high:
            raise InvalidInput(
                _("第 %(line)d 行（%(code)s）：下限大于上限。") % {"line": line, "code": code},
                code="catalogue_bad_row",
            )
        members = [m.strip() for m in (row.get("members") or "").split(";") if m.strip()]
        if limit_type == "sum_of_ratios" and not members:
            members = DEFAULT_MEMBERS.get(code, [])
        seen.add(code)
        fields.append(
            {
                "code": code,
                "name_zh": (row["name_zh"] or "").strip(),
                "name_en": (row.get("name_en") or "").strip(),
                "group": row["group"].strip(),
                "category": row["category"].strip(),
                "unit": (row["unit"] or "").strip(),
                "limit_type": limit_type,
                "min_value": low if "min" in needed else None,
                "max_value": high if "max" in needed else None,
                "point_scope": scope,
                "condition": (row.get("condition") or "").strip(),
                "applies_when": conditions_from_note(row.get("condition") or ""),
                "members": members,
                "confidence": (row.get("confidence") or "").strip(),
                "sort_order": len(fields) + 1,
            }
        )
    for item in fields:
        unknown = [m for m in item["members"] if m not in seen]
        if unknown:
            raise InvalidInput(
                _("%(code)s 的组成指标不在表中：%(members)s。")
                % {"code": item["code"], "members": ", ".join(unknown)},
                code="catalogue_bad_row",
            )
    if not fields:
        raise InvalidInput(_("指标表没有数据行。"), code="catalogue_empty")
    return fields


def csv_rows(data: bytes) -> list[dict]:
    """The rows of an indicator table file (UTF-8, with or without BOM, or GB18030)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidInput(
            _("文件编码无法识别：请保存为 UTF-8 或 GB18030。"), code="catalogue_encoding"
        )
    return list(csv.DictReader(io.StringIO(text)))


def initial_fields() -> list[dict]:
    return indicator_fields(csv_rows(INITIAL_CSV.read_bytes()))


# The default sampling plans (policy §二.(三), GB 5749-2022 and CJ/T 206 practice): the plant
# outlet's daily 9 (the disinfectant residual counts once: the sample takes the one its
# point's disinfection needs), the routine indicators monthly and all of them half-yearly at
# the outlet, and the network's 7 twice a month. All editable by the quality manager.
OUTLET_DISINFECTANTS = [
    "free_chlorine_outlet",
    "total_chlorine_outlet",
    "ozone_outlet",
    "chlorine_dioxide_outlet",
]
TAP_DISINFECTANTS = ["free_chlorine_tap", "total_chlorine_tap", "ozone_tap", "chlorine_dioxide_tap"]
DAILY_OUTLET = [
    "turbidity",
    "color",
    "odor_taste",
    "visible_matter",
    *OUTLET_DISINFECTANTS,
    "plate_count",
    "total_coliforms",
    "e_coli",
    "permanganate_index",
]
NETWORK_SEVEN = [
    "turbidity",
    "color",
    "odor_taste",
    *TAP_DISINFECTANTS,
    "plate_count",
    "total_coliforms",
    "permanganate_index",
]


def default_plans(fields: list[dict]) -> list[dict]:
    routine = [item["code"] for item in fields if item["group"] == "routine"]
    every = [item["code"] for item in fields]
    return [
        {
            "code": "outlet-daily",
            "name": "出厂水每日 9 项",
            "frequency": "daily",
            "point_types": ["plant_outlet"],
            "indicator_codes": DAILY_OUTLET,
        },
        {
            "code": "outlet-routine-monthly",
            "name": "出厂水常规指标每月",
            "frequency": "monthly",
            "point_types": ["plant_outlet"],
            "indicator_codes": routine,
        },
        {
            "code": "outlet-full-half-yearly",
            "name": "出厂水全部指标每半年",
            "frequency": "half_yearly",
            "point_types": ["plant_outlet"],
            "indicator_codes": every,
        },
        {
            "code": "network-twice-monthly",
            "name": "管网水 7 项每月两次",
            "frequency": "twice_monthly",
            "point_types": ["network", "tap", "secondary"],
            "indicator_codes": NETWORK_SEVEN,
        },
    ]
