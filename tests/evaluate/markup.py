"""The report's tables as the tests read their figures: without the ARIA role each element of
a stacked table carries (tests/evaluate/report/test_page.py checks those roles)."""

from __future__ import annotations

import re

_ROLE = re.compile(r' role="(?:table|rowgroup|row|columnheader|rowheader|cell)"')


def without_roles(html: str) -> str:
    """``html`` with the table roles that page.table_roles writes taken out."""
    return _ROLE.sub("", html)
