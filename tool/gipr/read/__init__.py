"""Read a returned workbook into a :class:`~gipr.model.Report`.

The reader accepts what units actually send back: .xlsx/.xlsm saved by Excel, WPS or
LibreOffice, .xls (also WPS .et, and an .xls renamed to .xlsx), .ods, and Strict Open XML.
It reads each file once:

1. **Vet the container before any parser sees it** (``ooxml.container``): sniff the magic
   bytes; for a zip, refuse duplicate members, encrypted members, too many members, a
   declared uncompressed size or compression ratio beyond the limits below (zip bombs), and
   any XML part with a DOCTYPE/ENTITY declaration (entity bombs, external entities); every
   member is decompressed once here with its CRC checked, so the sizes are real; for an OLE2
   file, recognise a password-encrypted OOXML package (``EncryptionInfo`` +
   ``EncryptedPackage``) or an encrypted .xls (``FILEPASS``); for every sheet, bound the
   rows × columns its cells span, because a dense reader would allocate a cell for each
   (one value typed into row 1,048,576 must not cost a gigabyte; a sheet *dimension* that
   merely claims a million rows is harmless and is ignored).
2. **Read values with python-calamine** (fast, reads hidden sheets, returns cached formula
   results).  openpyxl is never used here.
3. **Locate (``read.locate``) every cell through the spec map and verify the fixed labels** at their
   positions.  If the labels are not where the spec puts them (rows inserted, a sheet
   renamed, a table pasted elsewhere), the table is found by its official labels: the
   sheet by the labels it holds, the rows by aligning the spec's rows of labels with the
   sheet's rows (an order-preserving alignment, so repeated headers are told apart), the
   columns by the column labels.  What moved is reported as a finding; what cannot be
   located unambiguously is an error finding and is not read.  A wrong cell is never read
   silently.  Label drift (spaces, full/half-width punctuation, a typo) is tolerated when
   matching and reported when a label was changed.
4. **Identity** from the very hidden ``_gipr`` sheet, else from the ``gipr.*`` custom
   document properties.

``read_report`` raises nothing but :class:`ReadError` (a ``GiprError`` with a stable
``code`` and a Chinese message naming the file).
"""

from __future__ import annotations

from ..ooxml.container import (
                               LIMITS,
                               MAX_FILE_BYTES,
                               MAX_MEMBER_BYTES,
                               MAX_MEMBERS,
                               MAX_RATIO,
                               MAX_READ_MEMORY_MB,
                               MAX_READ_SECONDS,
                               MAX_SHEET_CELLS,
                               MAX_SHEET_ROWS,
                               MAX_TOTAL_BYTES,
                               RATIO_FLOOR,
                               sniff,
)
from .locate import normalize_label, prepare, similar_label
from .reader import read_report, read_report_limited, spec_from_token, spec_token, warm_up, worker_limits

__all__ = [
                               "LIMITS",
                               "MAX_FILE_BYTES",
                               "MAX_MEMBERS",
                               "MAX_MEMBER_BYTES",
                               "MAX_RATIO",
                               "MAX_READ_MEMORY_MB",
                               "MAX_READ_SECONDS",
                               "MAX_SHEET_CELLS",
                               "MAX_SHEET_ROWS",
                               "MAX_TOTAL_BYTES",
                               "RATIO_FLOOR",
                               "normalize_label",
                               "prepare",
                               "read_report",
                               "read_report_limited",
                               "similar_label",
                               "sniff",
                               "spec_from_token",
                               "spec_token",
                               "warm_up",
                               "worker_limits",
]
# what the main process may import from here (gipr.isolate.READER_MODULES; tests/test_boundary.py):
# the limited reader, the reader's limits and error, the spec's token for a worker, label helpers
# (plain text); read_report itself is for worker tasks (and trusted files in tests) only
PARENT_SIDE = ("read_report_limited", "spec_token", "worker_limits", "LIMITS", "normalize_label", "similar_label",
               "prepare", "sniff", "MAX_FILE_BYTES", "MAX_MEMBER_BYTES", "MAX_MEMBERS", "MAX_RATIO", "MAX_READ_MEMORY_MB",
               "MAX_READ_SECONDS", "MAX_SHEET_CELLS", "MAX_SHEET_ROWS", "MAX_TOTAL_BYTES", "RATIO_FLOOR")
