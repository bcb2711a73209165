"""onnxruntime's usage telemetry off for the command line, unless the user chose otherwise.

onnxruntime's official builds (1.32 here) start Microsoft's 1DS telemetry when the library
loads: `import onnxruntime` writes a session file `$TMPDIR/.ses` (first-use time and an id), a
persistent `~/.cache/Microsoft/DeveloperTools/.onnxruntime/deviceid` and an `onnxruntime.db` of
queued events (SQLite, 24 KB and more), and uploads the events where it can. None of it is
needed to score, and the `shoprel` command leaves nothing behind it does not keep.
ORT_DISABLE_TELEMETRY=1, read once as the library loads, stops all of it; scores are the same.
"""

from __future__ import annotations

import os

ORT_TELEMETRY_ENV = "ORT_DISABLE_TELEMETRY"


def default_no_onnxruntime_telemetry() -> None:
    """Set ORT_DISABLE_TELEMETRY=1 unless the user set it (to 0, say): call it before anything
    imports onnxruntime, which reads it once."""
    os.environ.setdefault(ORT_TELEMETRY_ENV, "1")
