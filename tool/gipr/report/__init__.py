"""Publishing: the roll-up's HTML tables (``html``) and the annual report document (.docx, PDF):
``layout`` (the printed tables' merged regions, one owner for the HTML and the .docx), ``figures``,
``document``, ``blank`` (the template builder), ``pdf`` (LibreOffice), ``run`` (sources → documents)."""
