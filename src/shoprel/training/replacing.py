"""What `train --overwrite` says before it replaces a run: --overwrite is the user's consent,
but a run of the other task (a QI run replaced by a QC one), or of other rows, went without a
word. The line names the run by what its run.json records; the old run stays until the new one
is complete (utils/atomic.atomic_dir), so a stop keeps it.
"""

from __future__ import annotations

from pathlib import Path

from shoprel.run.layout import MANIFEST
from shoprel.utils.shoprel_folders import json_object


def replacing_note(out_dir: str | Path) -> str | None:
    """'replacing run X (task QI, 37,394 rows, trained 2026-12-01) once this one is complete'
    for a run at out_dir (what its run.json records of these); None where there is none (no
    folder, an empty one). Called once the output checks have let it be replaced."""
    manifest = Path(out_dir) / MANIFEST
    if not manifest.is_file():
        return None
    fields = json_object(manifest)  # {} where unreadable: the note names the folder alone
    told = [f"task {fields['task']}" if isinstance(fields.get("task"), str) else None,
            f"{fields['n_rows']:,} rows" if isinstance(fields.get("n_rows"), int) else None,
            f"trained {fields['created'][:10]}" if isinstance(fields.get("created"), str)
            else None]
    told = ", ".join(part for part in told if part)
    return (f"replacing run {out_dir}{f' ({told})' if told else ''} once this one is "
            "complete")
