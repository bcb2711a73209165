"""The SHA-256 of each saved booster file, recorded in model.json's `state.booster_sha256` when
the model is saved and checked before LightGBM reads the file.

A digit changed inside a tree (a threshold, a leaf value) leaves the file as well laid out as
before, so `booster_file.cut_short` passes it: LightGBM then reads it silently and scores
differently, or aborts the whole process on a number it cannot parse. Only a digest of the bytes
written tells such a file from the one saved. Models saved before the digests were recorded have
no such field and load unchecked.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from shoprel.errors import RunDirError

FIELD = "booster_sha256"  # in model.json's state: {file name: hex SHA-256 of its bytes}
HEX = re.compile(r"^[0-9a-f]{64}$")


def text_sha256(data: bytes) -> str:
    """The hex SHA-256 of a booster file's bytes, as written and as read back."""
    return hashlib.sha256(data).hexdigest()


def saved_digests(state: dict, model_json: Path) -> dict[str, str] | None:
    """The digests a saved model's state records per booster file name; None for a model saved
    before they were recorded. A field not of that shape is refused, naming it."""
    digests = state.get(FIELD)
    if digests is None:
        return None
    if not isinstance(digests, dict) or not all(
            isinstance(name, str) and isinstance(value, str) and HEX.match(value)
            for name, value in digests.items()):
        raise RunDirError(f"{model_json}: field 'state.{FIELD}' (the SHA-256 of each booster "
                          "file, recorded when it was saved): not a mapping of file names to "
                          "64 hex digits; copy the run again from where it was trained, or "
                          "train it again")
    return digests


def changed_since_saved(member: Path, data: bytes, digests: dict[str, str] | None,
                        model_json: Path) -> str | None:
    """Why the bytes read from `member` are not those saved (one line naming the file), else
    None; always None for a model saved before the digests (`digests` None)."""
    if digests is None:
        return None
    recorded = digests.get(member.name)
    if recorded is None:
        return (f"{member}: {model_json} field 'state.{FIELD}' records no SHA-256 for this "
                "booster file; copy the run again from where it was trained, or train it again")
    if text_sha256(data) != recorded:
        return (f"{member}: the booster file is damaged (its SHA-256 is not the one recorded "
                "when it was saved); copy the run again from where it was trained, or train "
                "it again")
    return None
