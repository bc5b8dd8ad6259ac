"""Publishing a roll-up: the HTML tables (``html``); the annual report document lives here too."""
