"""What is said of a run (or ensemble) folder given where a file of rows is expected
(`evaluate RUN gold.jsonl`, `predict RUN RUN`, `read_pairs(RUN)`): "is a folder; give a file"
left the user to guess which file, and no file in a run is one (its oof.parquet holds
out-of-fold probabilities, no prediction column nor texts). Each reader that knows its input
says what it expected; every other one, a pairs file."""

from __future__ import annotations

from pathlib import Path

from shoprel.errors import InputError
from shoprel.utils.shoprel_folders import run_folder_kind

PAIRS_FILE = "a pairs file"
# formats.FORMAT_NAMES, said here without it (formats reads this module)
PAIRS_ADVICE = "give a file of pairs (JSON lines, CSV, TSV or Parquet)"


def run_folder_reason(path: Path, expected: str = PAIRS_FILE,
                      advice: str | None = None) -> str | None:
    """Why `path` is no `expected` file (an error's reason), or None unless it is a run or
    ensemble folder; `advice`: what to give instead (by default, a file of pairs)."""
    kind = run_folder_kind(path)
    if kind is None:
        return None
    said = "an ensemble" if kind == "ensemble" else "a run"
    return f"is {said} folder, not {expected}; {advice or PAIRS_ADVICE}"


def refuse_run_folder(path: str | Path, expected: str, advice: str | None = None) -> None:
    """One InputError naming `path` where it is a run folder given for an `expected` file."""
    reason = run_folder_reason(Path(path).expanduser(), expected, advice)
    if reason:
        raise InputError(reason, path=path)
