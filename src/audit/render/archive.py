"""Byte-reproducible Office files: a zip re-packed so its bytes do not depend on the clock.

python-pptx and openpyxl stamp every zip entry with the current date (and the document's
core properties with the save time), so two runs on the same data would give files with
different checksums. :func:`fixed_zip` re-packs an archive with one fixed entry date and
fixed permissions, in the same entry order, optionally replacing some entries' content
(the workbook's ``docProps/core.xml``): the manifest's checksums are then reproducible.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from datetime import datetime

__all__ = ["FIXED_TIMESTAMP", "ZIP_DATE", "fixed_zip"]

#: The documents' created and modified time, fixed so the bytes do not depend on the clock.
FIXED_TIMESTAMP = datetime(2000, 1, 1, 0, 0, 0)
#: Every zip entry's date (the earliest a zip can hold).
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def fixed_zip(data: bytes, replace: Mapping[str, bytes] | None = None) -> bytes:
    """``data`` (a zip archive) re-packed with fixed entry dates and permissions, in the same
    order, deflated; an entry named in ``replace`` gets that content instead."""
    replace = replace or {}
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = replace.get(info.filename)
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            target.writestr(fixed, source.read(info) if content is None else content)
    return out.getvalue()
