"""The annual report document (政府信息公开工作年度报告, .docx and PDF) and the layout of the
printed tables shared with the HTML page."""
