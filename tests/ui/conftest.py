"""The workbench's browser tests: ``browser``, a headless Chromium (tests/kit/browser.py)."""

from __future__ import annotations

import pytest
from kit.browser import chromium


@pytest.fixture
def browser(tmp_path):
    yield from chromium(tmp_path)
