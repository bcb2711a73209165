"""Whether an ensemble's member is still the run the ensemble combined."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from shoprel.run.layout import OOF
from shoprel.utils.digest import sha256_of_file

if TYPE_CHECKING:
    from shoprel.run.folder import Run


def oof_sha256(folder: Path) -> str | None:
    """The SHA-256 of a run's oof.parquet (None without one): what an ensemble records of each
    member beside its `created` stamp, which a retrain within the same second keeps."""
    path = Path(folder) / OOF
    return sha256_of_file(path) if path.is_file() else None


def replaced_since(entry: dict, member: Run) -> str | None:
    """Why `member` is not the run its ensemble's run.json `entry` combined: another created
    stamp, or (the same second) other out-of-fold scores; None when it is, or when the entry
    records neither (ensembles built before they were recorded)."""
    recorded, found = entry.get("created"), member.manifest.get("created")
    if recorded and found != recorded:
        return f"created {found}, the ensemble holds the one created {recorded}"
    recorded = entry.get("oof_sha256")
    if not recorded:
        return None
    found = oof_sha256(member.path)
    if found == recorded:
        return None
    now = f"now has SHA-256 {found[:12]}" if found else "is missing"
    return (f"its out-of-fold scores changed: its {OOF} {now}, the ensemble holds the one of "
            f"SHA-256 {recorded[:12]}")
