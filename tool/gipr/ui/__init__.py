"""``gipr ui``: a local web workbench over a workspace (pages + JSON API over the same core
functions as the CLI).  See app.py (routes), security.py (token, Host, CSRF), core.py."""
