"""Importing a lab's results file (CSV as a LIMS or Excel exports it).

UTF-8 (with or without BOM) or GB18030 (what Excel on Chinese Windows writes); comma, tab or
semicolon separated; the header in Chinese or English (样品编号 / sample_no, 指标编码 or
指标名称 / code, 检测结果 / result, 单位 / unit). Each line is recorded on its own (a
savepoint each): every bad line is reported with its line number and reason, the good
ones are imported, and importing the same file again changes nothing."""

from __future__ import annotations

import csv
import hashlib
import io

from django.db import transaction
from django.utils.translation import gettext as _

from waterdesk.core.errors import DomainError, InvalidInput, require_permission
from waterdesk.quality.models import ImportBatch, Sample
from waterdesk.quality.services.results import (
    CREATED,
    ENTER_PERMISSION,
    UPDATED,
    _locked,
    _record,
    sample_catalogue,
)

MAX_BYTES = 5 * 1024 * 1024

COLUMNS = {
    "sample": ("样品编号", "样品号", "样品", "样品编码", "sample_no", "sample_number", "sample"),
    "indicator": (
        "指标编码",
        "指标代码",
        "指标",
        "指标名称",
        "检测项目",
        "项目",
        "indicator_code",
        "indicator",
        "code",
        "parameter",
    ),
    "result": ("检测结果", "结果", "检测值", "结果值", "result", "value"),
    "unit": ("单位", "unit", "units"),
}
REQUIRED = ("sample", "indicator", "result")


def _header_name(name: str) -> str:
    return "".join(str(name or "").replace("\ufeff", "").split()).lower().replace(" ", "_")


def _decode(data: bytes) -> tuple[str, str]:
    if not data.strip():
        raise InvalidInput(_("文件为空：请选择实验室导出的检测结果文件。"), code="import_empty")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "UTF-8 BOM"
    for encoding, label in (("utf-8", "UTF-8"), ("gb18030", "GB18030")):
        try:
            return data.decode(encoding), label
        except UnicodeDecodeError:
            continue
    raise InvalidInput(
        _("文件编码无法识别：请另存为 UTF-8 或 GB18030（Excel 的“CSV”格式）后再导入。"),
        code="import_encoding",
    )


def _reader(text: str):
    first = text.split("\n", 1)[0]
    try:
        dialect = csv.Sniffer().sniff(first, delimiters=",\t;")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _columns(header: list[str]) -> dict[str, int]:
    names = [_header_name(name) for name in header]
    columns: dict[str, int] = {}
    for column, aliases in COLUMNS.items():
        for alias in aliases:
            if alias in names and names.index(alias) not in columns.values():
                columns[column] = names.index(alias)
                break
    missing = [column for column in REQUIRED if column not in columns]
    if missing:
        raise InvalidInput(
            _(
                "文件第 1 行不是可识别的表头：需要“样品编号”“指标编码”（或“指标名称”）"
                "“检测结果”三列，“单位”可选（英文表头 sample_no、code、result、unit 亦可）。"
                "请按实验室系统的导出格式检查后再导入。"
            ),
            code="import_header",
            details={"missing": missing},
        )
    return columns


def _indicator_code(catalogue, given: str) -> str:
    """The code of the indicator a line names: its code, or its Chinese or English name."""
    text = str(given or "").strip()
    if text in catalogue:
        return text
    folded = "".join(text.split()).lower()
    for code, indicator in catalogue.items():
        names = {"".join(indicator.name_zh.split()).lower(), code.lower()}
        if indicator.name_en:
            names.add("".join(indicator.name_en.split()).lower())
        if folded in names:
            return code
    return text


@transaction.atomic
def results_import(*, actor, filename: str, data: bytes) -> ImportBatch:
    """Import a results file: the batch, with its counts and every line refused."""
    require_permission(actor, ENTER_PERMISSION)
    if len(data) > MAX_BYTES:
        raise InvalidInput(
            _("文件超过 5 MB：请分成几个文件导入。"), code="import_too_large", field="file"
        )
    text, encoding = _decode(data)
    reader = _reader(text)
    header = next(reader, None) or []
    columns = _columns(header)
    batch = ImportBatch.objects.create(
        filename=str(filename or "")[:200],
        sha256=hashlib.sha256(data).hexdigest(),
        encoding=encoding,
        imported_by=actor,
    )
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    errors: list[dict] = []
    samples: dict[str, Sample | None] = {}
    lines = 0

    def cell(cells, column) -> str:
        index = columns.get(column)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    catalogues: dict[str, dict] = {}
    for cells in reader:
        line = reader.line_num
        if not any(str(value).strip() for value in cells):
            continue
        lines += 1
        number = cell(cells, "sample")
        if not number:
            errors.append({"line": line, "message": _("缺少样品编号。")})
            continue
        if number not in samples:
            samples[number] = Sample.objects.select_related("point").filter(number=number).first()
        sample = samples[number]
        if sample is None:
            errors.append(
                {
                    "line": line,
                    "message": _("样品编号 %(number)s 不存在：请核对样品编号。")
                    % {"number": number[:40]},
                }
            )
            continue
        try:
            with transaction.atomic():
                sample = _locked(sample)
                if number not in catalogues:  # the sample's edition: read once per sample
                    catalogues[number] = sample_catalogue(sample)
                catalogue = catalogues[number]
                _result, change = _record(
                    actor=actor,
                    sample=sample,
                    catalogue=catalogue,
                    code=_indicator_code(catalogue, cell(cells, "indicator")),
                    raw=cell(cells, "result"),
                    unit=cell(cells, "unit"),
                    batch=batch,
                )
        except DomainError as error:
            errors.append({"line": line, "message": str(error.message)})
        else:
            counts[change] += 1
    batch.lines = lines
    batch.created = counts[CREATED]
    batch.updated = counts[UPDATED]
    batch.unchanged = counts["unchanged"]
    batch.errors = errors
    batch.save(update_fields=["lines", "created", "updated", "unchanged", "errors"])
    return batch
