"""The OOXML (and ODF / OLE2) container layer: vetting a zip before any parser sees it
(``container``), splicing rows into a workbook xlsxwriter wrote (``splice``), XML escaping
(``gipr.text.xml_escape``).  Nothing here knows about formats or reports."""
