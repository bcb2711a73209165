"""User text made safe for an HTML page: the report and the server's /docs page share it."""

from __future__ import annotations

import html
from typing import Any


def esc(value: Any) -> str:
    """Escape any user-supplied text (names, codes, params) for HTML body and attributes."""
    return html.escape(str(value), quote=True)
