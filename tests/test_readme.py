"""The README's "From Python" section says what a user will see: checked against pandas and
shoprel as they behave."""

import io
import json
import re
from pathlib import Path

import pytest

from shoprel.data.memory import pair_frames
from shoprel.errors import InputError

README = Path(__file__).resolve().parents[1] / "README.md"
PATH = "sports & entertainment,fitness & body building,yoga,yoga mats"


def _readme() -> str:
    return re.sub(r"\s+", " ", README.read_text(encoding="utf-8"))


def _guessed(*queries):
    """The pairs as pd.read_json reads them with its type guessing on (no dtype=False)."""
    import pandas as pd

    lines = "".join(json.dumps({"language": "en", "origin_query": q, "category_path": PATH})
                    + "\n" for q in queries)
    return pd.read_json(io.StringIO(lines), lines=True)


def test_what_pandas_guesses_of_number_like_queries_is_what_the_readme_says():
    """It said pandas reads "0123" as 123.0 (refused): a column of number-like queries with no
    gap is read as whole numbers, 123, which are scored as the text "123"."""
    readme = _readme()
    whole = _guessed("0123", "1080")
    a, b = whole["origin_query"].tolist()
    assert f'reads "0123" and "1080" as the numbers {a!r} and {b!r}' in readme
    frame = next(pair_frames(whole))
    assert frame.df["query"].tolist() == [str(a), str(b)] == ["123", "1080"]
    assert 'are scored as the texts "123" and "1080"' in readme

    gapped = _guessed("0123", "1080", None)
    a, b, _ = gapped["origin_query"].tolist()
    assert f"they become {a!r} and {b!r}" in readme
    assert _guessed("0123", "1080", "1.50")["origin_query"].tolist()[:2] == [a, b]
    with pytest.raises(InputError, match="column 'origin_query' holds floats"):
        next(pair_frames(gapped))
    assert "a text column typed as floats is refused" in readme
