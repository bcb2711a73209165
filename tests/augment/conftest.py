"""Shared fixtures of the augment tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def chunk_sizes(monkeypatch) -> list[int]:
    """The row count of each chunk the streaming commands (langid, translate) read, in order:
    they read through augment.rewrite.row_chunks, which this wraps."""
    from shoprel.augment import rewrite

    sizes: list[int] = []
    real_chunks = rewrite.row_chunks

    def counted(*args):
        for chunk in real_chunks(*args):
            sizes.append(len(chunk.records))
            yield chunk

    monkeypatch.setattr(rewrite, "row_chunks", counted)
    return sizes
