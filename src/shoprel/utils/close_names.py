"""The name a misspelt key most likely stands for ('n_job' for 'n_jobs', 'qurey' for 'query'):
one rule for the keys of a request (serve/unknown_fields.py) and of a config file
(models/config.py), so "did you mean" reaches the same names in both."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from difflib import get_close_matches

# how alike a key and a name must be (difflib's ratio): 'lang' for 'language' is 0.67, 'text'
# for 'query' 0.22
CLOSENESS = 0.6


def closest_name(key: str, names: Iterable[str] | Mapping[str, str]) -> str | None:
    """The name `key` likely misspells, in any case, or None. `names`: the names, or a mapping
    of spellings to the name each stands for (a file's column name for a request's field)."""
    spellings = names if isinstance(names, Mapping) else {name: name for name in names}
    lowered = {spelling.lower(): name for spelling, name in spellings.items()}
    found = get_close_matches(key.strip().lower(), list(lowered), n=1, cutoff=CLOSENESS)
    return lowered[found[0]] if found else None
