"""Tables as Excel workbooks (.xlsx, openpyxl): what prefectures ask firms to submit.

One sheet named in the reader's words (補助金証憑, KPI報告 …), the header row bold and frozen,
numbers and amounts as numbers (amounts with thousands separators; the currency is in the
header), dates as dates shown the reader's way: 2026年4月1日, with the 和暦 setting 令和8年4月1日
(Excel's `ggge` era format), April 1, 2026 in English. Text that a spreadsheet would run as a
formula is written as text, never as a formula.

The same table gives the same bytes: the workbook's creation and modification times are fixed,
so an HTTP cache can validate it by a hash of the body.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as XlCell
from openpyxl.styles import Alignment, Font

from renkei.i18n.formats import fiscal_year_label
from renkei.i18n.messages import _, current_locale
from renkei.projects.exports import Cell, Table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMATS = {
    ("ja", False): 'yyyy"年"m"月"d"日"',
    # 411 is Japanese; with it, Excel's g/e codes write the era and its year (令和8年).
    ("ja", True): '[$-411]ggge"年"m"月"d"日"',
    ("en", False): "mmmm d, yyyy",
    ("en", True): "mmmm d, yyyy",
}
AMOUNT_FORMAT = "#,##0"
FIXED_TIME = datetime(2000, 1, 1)
# Sheet names may not hold these, nor be longer than 31 characters.
_NOT_IN_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def sheet_name(text: str) -> str:
    return _NOT_IN_SHEET_NAME.sub("_", text)[:31] or "Sheet1"


def table_xlsx(table: Table, *, japanese_era: bool = False) -> bytes:
    """The table as a one-sheet workbook in the reader's words (see the module docstring)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_name(_(table.sheet))
    sheet.append(table.headers())
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    sheet.freeze_panes = "A2"
    date_format = DATE_FORMATS[(current_locale(), japanese_era)]
    for index, row in enumerate(table.rows):
        sheet.append(
            [_value(v, c.cell, japanese_era) for v, c in zip(row, table.columns, strict=True)]
        )
        for cell, column in zip(sheet[sheet.max_row], table.columns, strict=True):
            _style(cell, column.cell, date_format)
            if index in table.bold_rows:
                cell.font = bold
    for number, column in enumerate(table.columns, 1):
        letter = sheet.cell(row=1, column=number).column_letter
        sheet.column_dimensions[letter].width = column.width
    workbook.properties.creator = "Renkei"
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    out = io.BytesIO()
    workbook.save(out)
    return _fixed_zip_times(out.getvalue())


def _value(value: object, cell: Cell, japanese_era: bool) -> object:
    if value is None:
        return None
    if cell is Cell.FISCAL_YEAR and isinstance(value, int):
        return fiscal_year_label(value, japanese_era=japanese_era)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, Decimal, date)):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def _style(cell: XlCell, kind: Cell, date_format: str) -> None:
    if cell.value is None:
        return
    if isinstance(cell.value, date):
        cell.number_format = date_format
    elif kind is Cell.AMOUNT and isinstance(cell.value, (int, Decimal)):
        cell.number_format = AMOUNT_FORMAT
    elif isinstance(cell.value, str) and cell.data_type == "f":
        # openpyxl takes text starting with = for a formula: a name must stay a name.
        cell.data_type = "s"


# openpyxl stamps the time of saving into docProps/core.xml, whatever properties.modified says.
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _fixed_zip_times(data: bytes) -> bytes:
    """The zip again with every member dated 1980-01-01 and the document's modification time
    fixed: the same table, the same bytes (the ETag validates it)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _MODIFIED.sub(rb"\g<1>" + stamp + rb"\g<2>", content)
            target.writestr(fixed, content)
    return out.getvalue()
