"""App tests: the same frames whatever the environment the suite runs in."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def colour_environment(monkeypatch):
    """Textual reads NO_COLOR when an app is made; a test that wants it sets it itself."""
    monkeypatch.delenv("NO_COLOR", raising=False)
