"""Excel workbooks (.xlsx, .xlsm): inspected before they are opened, read with calamine."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pandas as pd

from audit.contract import KNOWN_COLUMNS
from audit.errors import Problem, ReadError
from audit.intake.extract import TEXT_DTYPE, excel_letters, shown
from audit.intake.read.sniff import (
    KINDS,
    MIDNIGHT,
    column_key,
    looks_like_text,
    nonblank_rows,
    sniff,
)

__all__ = [
    "read_workbook",
    "refuse_unreadable_cells",
    "MAX_UNZIPPED_BYTES",
    "MAX_SHEET_CELLS",
    "CASES_SHEET",
    "GUIDANCE_SHEET",
    "FORM_PARTNERSHIP_LABEL",
]

#: The sheet of the audit form (:mod:`audit.intake.form`) that holds the cases: read by default
#: when a workbook has a sheet of this name (any case), whichever sheet comes first.
CASES_SHEET = "Cases"
#: The audit form's guidance sheet, and the label of its row naming the partnership a form
#: was made for (``audit form --partnership``): a return naming another is warned of.
GUIDANCE_SHEET = "Guidance"
FORM_PARTNERSHIP_LABEL = "Partnership of this form"

#: Most a workbook may expand to when unzipped (4 GiB).
MAX_UNZIPPED_BYTES = 4 * 2**30
#: Most cells a worksheet may span, from A1 to its furthest cell (Excel's 1,048,576 rows
#: by 47 columns): beyond this the spreadsheet library would need gigabytes of memory.
MAX_SHEET_CELLS = 50_000_000
#: Problems listed per column for formula and error cells before a summary line.
_MAX_CELLS_LISTED = 20
_TEXT = TEXT_DTYPE


# ---------------------------------------------------------------------------- workbooks


def _open_book(data: bytes, path: Path) -> tuple[pd.ExcelFile, list[str]]:
    """The workbook (calamine) and its sheet names; a damaged file or one with no sheets
    is a :class:`ReadError`."""
    try:
        book = pd.ExcelFile(io.BytesIO(data), engine="calamine")
        names = [str(n) for n in book.sheet_names]
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: BLE001 - calamine's own errors, and its panics (pyo3's
        # PanicException derives from BaseException)
        raise ReadError(
            "cannot be opened as an Excel workbook (the file is damaged or is "
            "not really .xlsx); open it in Excel and save it again",
            path=path,
        ) from None
    if not names:
        raise ReadError("the workbook has no sheets", path=path)
    return book, names


def _first_choice(
    names: list[str], hidden: set[str], sheet: str | None, path: Path
) -> tuple[str, bool, list[str], list[str]]:
    """The sheet to read first (:func:`read_workbook`'s rules), whether it was chosen by
    name (``--sheet`` or a visible :data:`CASES_SHEET`), the sheets named like
    :data:`CASES_SHEET`, and the warnings so far."""
    listed = ", ".join(f"'{shown(n, 40)}'" for n in names[:20]) + (
        f" and {len(names) - 20} more" if len(names) > 20 else ""
    )
    visible = [n for n in names if n not in hidden]
    warnings: list[str] = []
    named: list[str] = []
    chosen = sheet is not None
    if sheet is None:
        named = [n for n in names if n.strip().casefold() == CASES_SHEET.casefold()]
        shown_named = [n for n in named if n not in hidden]
        chosen = len(shown_named) == 1
        if not visible:
            raise ReadError(
                f"every sheet of the workbook is hidden in Excel ({listed}), so none is "
                "read without being named: unhide the sheet that holds the cases "
                "(right-click a sheet tab > Unhide) or pass --sheet NAME",
                path=path,
            )
        sheet = shown_named[0] if chosen else visible[0]
    elif sheet not in names:
        near = [n for n in names if n.strip().casefold() == sheet.strip().casefold()]
        hint = f" (did you mean '{shown(near[0], 40)}'?)" if near else ""
        raise ReadError(
            f"the workbook has no sheet named '{shown(sheet, 40)}'{hint}; its sheets are {listed}",
            path=path,
        )
    elif sheet in hidden:
        warnings.append(
            f"sheet '{shown(sheet, 40)}' is hidden in Excel; it is read because --sheet "
            "names it: check it holds this audit's cases"
        )
    return sheet, chosen, named, warnings


def read_workbook(
    data: bytes, path: Path, sheet: str | None
) -> tuple[
    list[str],
    pd.DataFrame,
    str,
    int,
    dict[tuple[int, int], str],
    tuple[str, ...],
    tuple[int, ...],
    tuple[str, ...],
]:
    """Headers, body, sheet name, header row, unreadable cells ((row, column) -> why), the
    workbook's sheet names, the sheet's rows hidden in Excel (hidden rows, or rows a filter
    hides) and warnings to pass on to the analyst.

    Without ``sheet``: the visible sheet named :data:`CASES_SHEET` (any case) if there is
    one; else the first visible sheet, unless none of its first rows names contract columns
    and exactly one other visible sheet's header row does (a guidance or cover sheet put
    first), when that one is read. A hidden (or very hidden) sheet is never chosen: when it
    is the only one that could be, the workbook is refused, naming it. ``--sheet`` may name
    a hidden sheet; a warning then says so.
    """
    _refuse_other_kinds(data, path)
    _inspect_zip(data, path)
    book, names = _open_book(data, path)
    hidden = _hidden_sheets(data) & set(names)
    visible = [n for n in names if n not in hidden]
    sheet, chosen, named, warnings = _first_choice(names, hidden, sheet, path)
    grid, cells, hidden_rows = _read_sheet(book, data, path, sheet)
    if not chosen and len(names) > 1 and not _holds_the_columns(grid):
        others = [n for n in visible if n != sheet]
        holding = [n for n in others if _sheet_names_a_column(book, data, path, n)]
        if len(holding) == 1:
            sheet = holding[0]
            grid, cells, hidden_rows = _read_sheet(book, data, path, sheet)
        elif not holding:
            _refuse_hidden_candidates(book, data, path, sheet, sorted(hidden, key=names.index))
    hidden_named = [n for n in named if n in hidden and n != sheet]
    if not chosen and hidden_named:
        warnings.append(
            f"the workbook's sheet '{shown(hidden_named[0], 40)}' is hidden in Excel and was not "
            f"read; sheet '{shown(sheet, 40)}' was: to read the hidden one, pass --sheet NAME"
        )
    if grid.shape[0] == 0 or grid.shape[1] == 0:
        others = [n for n in names if n != sheet]
        hint = ""
        if others:
            listing = ", ".join(f"'{shown(n, 40)}'" for n in others[:20])
            hint = f"; the workbook's other sheets are {listing}: choose one with --sheet NAME"
        raise ReadError(f"sheet '{shown(sheet, 40)}' is empty{hint}", path=path)
    header_row = int(grid.index[0])
    headers = [str(h) for h in grid.iloc[0].tolist()]
    if (elsewhere := _named_elsewhere(book, names, sheet, grid)) is not None:
        warnings.append(elsewhere)
    return (
        headers,
        grid.iloc[1:],
        sheet,
        header_row,
        cells,
        tuple(names),
        tuple(r for r in hidden_rows if r > header_row),
        tuple(warnings),
    )


def _named_elsewhere(
    book: pd.ExcelFile, names: list[str], sheet: str, grid: pd.DataFrame
) -> str | None:
    """A warning when the workbook is an audit form made for one partnership (its Guidance
    sheet says which) and rows of its cases name another: a new analyst's form made for
    Kestrel Vale came back holding Harrowmere and passed silently. A warning, not a
    problem: a return may rightly carry a partnership's new name."""
    if GUIDANCE_SHEET not in names or sheet == GUIDANCE_SHEET:
        return None
    try:
        guide = pd.read_excel(book, sheet_name=GUIDANCE_SHEET, header=None, dtype=str)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: BLE001 - a guidance sheet that will not read says nothing
        return None
    guide = guide.fillna("")
    made_for = next(
        (
            " ".join(str(row.iloc[1]).split())
            for _, row in guide.iterrows()
            if guide.shape[1] > 1 and str(row.iloc[0]).strip() == FORM_PARTNERSHIP_LABEL
        ),
        "",
    )
    headers = [" ".join(str(h).split()).casefold() for h in grid.iloc[0]]
    if not made_for or "partnership" not in headers:
        return None
    named = grid.iloc[1:, headers.index("partnership")].map(lambda v: " ".join(str(v).split()))
    other = named[(named != "") & (named.str.casefold() != made_for.casefold())]
    if other.empty:
        return None
    rows = ", ".join(str(r) for r in other.index[:5])
    more = f" and {len(other) - 5:,} more" if len(other) > 5 else ""
    listed = ", ".join(f"'{shown(n, 40)}'" for n in dict.fromkeys(other))
    return (
        f"this form was made for '{shown(made_for, 40)}' (its Guidance sheet), but "
        f"{len(other):,} row{'s' if len(other) > 1 else ''} of sheet '{shown(sheet, 40)}' "
        f"name {listed} (row{'s' if len(other) > 1 else ''} {rows}{more}): check the return "
        "is the one you asked for, or correct its Partnership column"
    )


def _refuse_hidden_candidates(
    book: pd.ExcelFile, data: bytes, path: Path, sheet: str, hidden: list[str]
) -> None:
    """Refuse the workbook when the only sheet that could hold the cases is hidden (one
    named Cases, or whose header row names contract columns): such a sheet is an old copy
    as often as not, and is never read without being named."""
    candidates = [
        n
        for n in hidden
        if n.strip().casefold() == CASES_SHEET.casefold()
        or _sheet_names_a_column(book, data, path, n)
    ]
    if not candidates:
        return
    named = ", ".join(f"'{shown(n, 40)}'" for n in candidates[:5])
    one = len(candidates) == 1
    raise ReadError(
        f"sheet '{shown(sheet, 40)}' holds none of the contract's column names, and the "
        f"only sheet{'' if one else 's'} that {'does' if one else 'do'}, {named}, "
        f"{'is' if one else 'are'} hidden in Excel, so {'it is' if one else 'they are'} "
        "not read without being named: unhide the sheet that holds this audit's cases "
        "(right-click a sheet tab > Unhide) or pass --sheet NAME",
        path=path,
    )


def _hidden_sheets(data: bytes) -> set[str]:
    """Names of the workbook's hidden and very hidden sheets (``state`` in workbook.xml)."""
    import html

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("xl/workbook.xml")
            if info.file_size > 2**24:
                return set()
            book = archive.read(info)
    except Exception:  # noqa: BLE001 - no readable workbook part: calamine says so later
        return set()
    attr = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')
    hidden = set()
    for tag in re.finditer(rb"<(?:\w+:)?sheet\b([^>]*)>", book):
        found = dict(attr.findall(tag.group(1)))
        if found.get(b"state", b"visible") in (b"hidden", b"veryHidden"):
            hidden.add(html.unescape(found.get(b"name", b"").decode("utf-8", "replace")))
    return hidden


def _refuse_other_kinds(data: bytes, path: Path) -> None:
    """A :class:`~audit.errors.ReadError` for a file that is not an ``.xlsx`` workbook (an
    encrypted or old-style one, plain text, something else), saying what to do."""
    kind = sniff(data)
    if kind == "encrypted":
        raise ReadError(
            "the workbook is password-protected (encrypted), so it cannot be read; "
            "open it in Excel, remove the password (File > Info > Protect Workbook > "
            "Encrypt with Password, then clear it) and save it again",
            path=path,
        )
    if kind == "ole":
        raise ReadError(
            "this is an old-style Excel 97-2003 workbook (.xls) or another older "
            "Office file with an .xlsx name; open it in Excel and save it as an "
            "Excel Workbook (.xlsx)",
            path=path,
        )
    if kind not in (None, "zip"):
        raise ReadError(
            f"this is {KINDS[kind]}, not an Excel workbook; export the extract again", path=path
        )
    if kind is None:
        if looks_like_text(data):
            raise ReadError(
                "this is plain text (perhaps CSV), not an Excel workbook; if it is "
                "comma-separated, rename it to .csv",
                path=path,
            )
        raise ReadError(
            "cannot be opened as an Excel workbook (the file is damaged or is "
            "not really .xlsx); open it in Excel and save it again",
            path=path,
        )


def _sheet_names_a_column(book: pd.ExcelFile, data: bytes, path: Path, sheet: str) -> bool:
    """Whether ``sheet``'s header row names a contract column (a sheet that cannot be read
    does not)."""
    try:
        return _names_a_column(_read_sheet(book, data, path, sheet)[0])
    except ReadError:
        return False


def _names_a_column(grid: pd.DataFrame) -> bool:
    """Whether the header row (the first row of ``grid``) names a contract column."""
    return bool(len(grid)) and any(column_key(str(h)) in KNOWN_COLUMNS for h in grid.iloc[0])


def _holds_the_columns(grid: pd.DataFrame) -> bool:
    """Whether the sheet is the cases' own: its header row names a contract column, or one
    of the rows just below names two or more (a title, notes or merged group labels above
    the column names, which validation then points out)."""
    if _names_a_column(grid):
        return True
    for values in grid.iloc[1:20].itertuples(index=False, name=None):
        if sum(column_key(str(v)) in KNOWN_COLUMNS for v in values if v) >= 2:
            return True
    return False


def _read_sheet(
    book: pd.ExcelFile, data: bytes, path: Path, sheet: str
) -> tuple[pd.DataFrame, dict[tuple[int, int], str], list[int]]:
    """The cells of ``sheet`` from its first non-blank row (numbered as the sheet numbers
    them), after :func:`_inspect_sheet` has checked its extent; its unreadable cells; and
    its rows hidden in Excel."""
    cells, hidden_rows = _inspect_sheet(data, path, sheet)
    try:
        grid = pd.read_excel(book, sheet_name=sheet, header=None, dtype=str, na_filter=False)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: BLE001 - as above: errors and panics of the reader
        raise ReadError(
            f"sheet '{shown(sheet, 40)}' cannot be read; open the workbook in "
            "Excel and save it again",
            path=path,
        ) from None
    grid = grid.fillna("").astype(_TEXT)
    grid.index = pd.RangeIndex(1, len(grid) + 1)  # the sheet's own row numbers
    if len(grid):
        # Cells holding dates read as "2024-01-05 00:00:00": keep the date.
        grid = grid.apply(lambda col: col.str.replace(MIDNIGHT, r"\1", regex=True))
        filled = nonblank_rows(grid)
        grid = grid.loc[filled.idxmax() :] if filled.any() else grid.iloc[0:0]
    return grid, cells, hidden_rows


def _inspect_zip(data: bytes, path: Path) -> None:
    """Refuse a damaged, truncated or zip-bomb workbook before the spreadsheet library sees it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise ReadError(
            "the workbook is damaged or incomplete (it is not a whole zip archive; "
            "perhaps a download or copy was cut short); open it in Excel and save "
            "it again, or export it again",
            path=path,
        ) from None
    total = sum(i.file_size for i in infos)
    bomb = [
        i
        for i in infos
        if i.file_size > 32 * 2**20 and i.file_size > _MAX_RATIO * max(i.compress_size, 1)
    ]
    if total > MAX_UNZIPPED_BYTES or bomb:
        raise ReadError(
            f"the workbook would expand to {total / 2**20:,.0f} MB when opened"
            + (f" (compressed more than {_MAX_RATIO} to 1)" if bomb else "")
            + ", far more than a case extract needs; it may be damaged or hostile. "
            "Open it in Excel, check it and save it as CSV",
            path=path,
        )
    if not any(i.filename.lower().startswith("xl/") for i in infos):
        raise ReadError(
            "this zip file is not an Excel workbook (it has no 'xl/' part: perhaps "
            "a Word or OpenDocument file, or an archive); save the extract from "
            "Excel as .xlsx",
            path=path,
        )


#: Highest compression ratio of a large workbook part (real sheets compress about 10-30 to 1).
_MAX_RATIO = 200
_CHUNK = 16 * 2**20
# Patterns start with a literal so the regex engine can skip ahead: scanning stays fast.
_CELL_REF = re.compile(rb'r="([A-Z]{1,3})([0-9]{1,7})"')
_ROW_REF = re.compile(rb'<row\s[^>]*?r="([0-9]{1,7})"')
_HIDDEN_ROW = re.compile(rb'<row\s([^>]*?\bhidden="(?:1|true)"[^>]*)>')
_ROW_NUMBER = re.compile(rb'\br="([0-9]{1,7})"')
_FORMULA_CELL = re.compile(
    rb"<c\s([^>]*)>\s*<f\b[^>]*?(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>"
)
_ERROR_CELL = re.compile(
    rb'<c\s([^>]*?\bt="e"[^>]*)>\s*(?:<f\b[^>]*?(?:/>|>[^<]*</f>)\s*)?(?:<v>([^<]{0,32})</v>)?'
)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (letter - 64)
    return number


def _sheet_part(archive: zipfile.ZipFile, sheet: str) -> list[str]:
    """The zip member(s) holding ``sheet``: from workbook.xml and its relationships, else all."""
    import html
    import posixpath

    members = {i.filename: i for i in archive.infolist()}
    every = [n for n in members if n.lower().startswith("xl/worksheets/") and n.endswith(".xml")]
    try:
        book_info, rels_info = members["xl/workbook.xml"], members["xl/_rels/workbook.xml.rels"]
        if book_info.file_size > 2**24 or rels_info.file_size > 2**24:
            return every
        book, rels = archive.read(book_info), archive.read(rels_info)
    except Exception:  # noqa: BLE001 - a damaged part: fall back to checking every sheet
        return every
    attr = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')
    targets = {}
    for tag in re.finditer(rb"<(?:\w+:)?Relationship\b([^>]*)>", rels):
        found = dict(attr.findall(tag.group(1)))
        if b"Id" in found and b"Target" in found:
            targets[found[b"Id"]] = found[b"Target"].decode("utf-8", "replace")
    for tag in re.finditer(rb"<(?:\w+:)?sheet\b([^>]*)>", book):
        found = dict(attr.findall(tag.group(1)))
        name = html.unescape(found.get(b"name", b"").decode("utf-8", "replace"))
        rid = next((v for k, v in found.items() if k.endswith(b":id")), None)
        if name != sheet or rid not in targets:
            continue
        target = targets[rid]
        part = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join("xl", target))
        )
        return [part] if part in members else every
    return every


def _xml_pieces(stream: IO[bytes]) -> Iterator[bytes]:
    """The sheet's XML in blocks of about :data:`_CHUNK` bytes, each cut after a cell or
    row ends, so no pattern of :func:`_inspect_sheet` straddles two pieces."""
    carry = b""
    while True:
        block = stream.read(_CHUNK)
        buffer = carry + block
        if not block:
            yield buffer
            return
        cut = max(buffer.rfind(b"</c>"), buffer.rfind(b"</row>"))
        cut = cut if cut >= 0 else buffer.rfind(b">")
        if cut < 0:
            carry = buffer
            continue
        cut = buffer.index(b">", cut) + 1
        yield buffer[:cut]
        carry = buffer[cut:]


def _scan_piece(piece: bytes, cells: dict[tuple[int, int], str], hidden_rows: list[int]) -> None:
    """Add the piece's hidden rows, formula cells without results and error cells."""
    if b'hidden="' in piece:
        for match in _HIDDEN_ROW.finditer(piece):
            where = _ROW_NUMBER.search(match.group(1))
            if where:
                hidden_rows.append(int(where.group(1)))
    if b"<f" in piece:
        for match in _FORMULA_CELL.finditer(piece):
            attrs = match.group(1)
            where = _CELL_REF.search(attrs)
            if where and b't="str"' not in attrs:
                cells[(int(where.group(2)), _column_number(where.group(1)))] = "formula"
    if b't="e"' in piece:
        for match in _ERROR_CELL.finditer(piece):
            where = _CELL_REF.search(match.group(1))
            value = (match.group(2) or b"").decode("ascii", "replace").strip()
            if where:
                error = re.fullmatch(r"#[A-Z0-9/!?.]{1,12}", value)
                code = value if error else ""
                cells[(int(where.group(2)), _column_number(where.group(1)))] = "error " + code


def _inspect_sheet(
    data: bytes, path: Path, sheet: str
) -> tuple[dict[tuple[int, int], str], list[int]]:
    """Check the extent of ``sheet`` and find formula cells without results, error cells
    and hidden rows.

    Streams the sheet's XML (never all of it in memory at once) and returns
    ``{(row, column): why}`` for unreadable cells and the numbers of the rows hidden in
    Excel (by hand or by a filter: both set ``hidden`` on the row). Raises
    :class:`ReadError` when the sheet spans more than :data:`MAX_SHEET_CELLS` cells.
    """
    max_row = max_col = refs = starts = 0
    cells: dict[tuple[int, int], str] = {}
    hidden_rows: list[int] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for part in _sheet_part(archive, sheet):
                with archive.open(part) as stream:
                    for piece in _xml_pieces(stream):
                        found = _CELL_REF.findall(piece)
                        refs += len(found)
                        starts += piece.count(b"<c ") + piece.count(b"<c>") + piece.count(b"<c/>")
                        if found:
                            letters = {c for c, _ in found}
                            max_col = max(max_col, *(_column_number(c) for c in letters))
                            max_row = max(max_row, *(int(r) for r in {r for _, r in found}))
                        rows = _ROW_REF.findall(piece)
                        if rows:
                            max_row = max(max_row, max(int(r) for r in rows))
                        _scan_piece(piece, cells, hidden_rows)
    except ReadError:
        raise
    except Exception:  # noqa: BLE001 - BadZipFile, zlib.error, CRC and size mismatches, ...
        raise ReadError(
            "the workbook is damaged (a part of it cannot be unzipped); open it in "
            "Excel and save it again",
            path=path,
        ) from None
    # Cells without an r="A1" reference are placed one after another along their row.
    width = max_col + max(starts - refs, 0)
    if max_row * width > MAX_SHEET_CELLS:
        raise ReadError(
            f"sheet '{shown(sheet, 40)}' stretches over {max_row:,} rows by {width:,} columns "
            f"(to row {max_row:,} and column {excel_letters(width)}), more than the "
            f"{MAX_SHEET_CELLS:,} cells the suite reads from a "
            "workbook; delete the rows and columns beyond your data (or save the extract as "
            "CSV) and try again",
            path=path,
        )
    return cells, sorted(set(hidden_rows))


def refuse_unreadable_cells(
    cells: dict[tuple[int, int], str], headers: list[str], header_row: int, path: Path
) -> None:
    """Formula cells without results and error cells in contract columns, as problems."""
    by_column: dict[str, list[tuple[int, str]]] = {}
    for (row, col), why in sorted(cells.items()):
        if row <= header_row or col > len(headers):
            continue
        key = column_key(headers[col - 1])
        if key not in KNOWN_COLUMNS:
            continue  # an ignored column: its values are never used
        by_column.setdefault(key, []).append((row, why))
    if not by_column:
        return
    problems: list[Problem] = []
    formulas = errors = 0
    for key in (k for k in KNOWN_COLUMNS if k in by_column):
        listed = by_column[key]
        for row, why in listed[:_MAX_CELLS_LISTED]:
            if why == "formula":
                message = (
                    "holds a formula with no saved result, so its value cannot be read; "
                    "open the workbook in Excel and save it (Excel stores the results), "
                    "or paste the values over the formulas"
                )
            else:
                code = why.removeprefix("error").strip()
                message = (
                    f"holds an Excel error{f' ({code})' if code else ''}, not a value; "
                    "fix the formula or type the value"
                )
            problems.append(Problem(row, key, message))
        if len(listed) > _MAX_CELLS_LISTED:
            rest = len(listed) - _MAX_CELLS_LISTED
            problems.append(
                Problem(None, key, f"… and {rest:,} more formula or error cells in column '{key}'")
            )
        formulas += sum(1 for _, why in listed if why == "formula")
        errors += sum(1 for _, why in listed if why != "formula")
    parts = []
    if formulas:
        parts.append(
            f"{formulas:,} formula cell{'s' if formulas != 1 else ''} with no saved "
            "result (the workbook was written by a program and never saved in Excel)"
        )
    if errors:
        parts.append(f"{errors:,} Excel error value{'s' if errors != 1 else ''}")
    raise ReadError(
        "cannot read every value: " + " and ".join(parts) + " in contract columns",
        path=path,
        problems=problems,
    )
