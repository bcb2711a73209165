"""Records made JSON-safe without losing their numbers: numpy scalars and arrays become Python
numbers and lists; anything else JSON cannot hold becomes its string."""

from __future__ import annotations

import json
from typing import Any


def _plain(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy scalars and arrays, torch tensors
        return value.tolist()
    return str(value)


def json_safe(record: Any) -> Any:
    return json.loads(json.dumps(record, default=_plain))
