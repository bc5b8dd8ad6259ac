"""Published annual reports (PDF, web page, Word, text) → Report: ``gipr import``.

    from gipr.published import import_document
    result = import_document("洪泽区2023年年报.pdf")            # → Imported
    result.report      # a gipr.model.Report of the format of that year
    result.findings    # what was tolerated or could not be read (also in result.report.findings)
    result.provenance  # cell id → where it was printed (page and position, or table row and column)

The modules: :mod:`.grid` (the document model and flattened text), :mod:`.docx`, :mod:`.html`
(also .mhtml), :mod:`.pdf`, :mod:`.text`, :mod:`.convert` (.doc/.wps through LibreOffice),
:mod:`.locate` (the tables by their labels), :mod:`.digits` (glued digits), :mod:`.title`
(issuer and year), :mod:`.narrative` (numbers stated in the text).
"""

from __future__ import annotations

from .core import DOCUMENT_SUFFIXES, Imported, import_document, is_document, parse_document

__all__ = ["DOCUMENT_SUFFIXES", "Imported", "import_document", "is_document", "parse_document"]
# what the main process may import from here (gipr.isolate.READER_MODULES; tests/test_boundary.py):
# import_document parses through gipr.isolate; parse_document is a worker's task only
PARENT_SIDE = ("import_document", "Imported", "DOCUMENT_SUFFIXES", "is_document")
