"""Publishing the annual report document (.docx, PDF), in the official layout of the tables
(:mod:`gipr.merge.layout`, shared with the roll-up's HTML page :mod:`gipr.merge.html`): ``figures``,
``document``, ``blank`` (the template builder), ``pdf`` (LibreOffice), ``run`` (sources → documents)."""
