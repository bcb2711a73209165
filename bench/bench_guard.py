"""What every benchmark script shares: work folders it may fill and clear, and one-line errors.

A benchmark fills a work folder, replaces what it wrote there on a rerun and removes its caches,
so a folder is its own only when it is new, empty, or holds the record a benchmark left there
(RECORD): a user's folder of other files is refused, never cleared. A missing input, a shoprel
error or a failed `shoprel` child is one `error: ...` line and exit code 2, as in the CLI.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

RECORD = ".shoprel-bench.json"  # in a work folder: a benchmark made it, and may clear it


class BenchError(Exception):
    """A bad argument or input: printed as one line."""


def claim_workdir(folder: str | Path, script: str, option: str) -> Path:
    """`folder` made ready for `script` (named by its `option` in errors), or BenchError."""
    folder = Path(folder)
    if folder.is_symlink() and not folder.exists():
        raise BenchError(f"{option} {folder}: a link to nothing; give a folder")
    if folder.exists() and not folder.is_dir():
        raise BenchError(f"{option} {folder}: is a file; give a folder")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / RECORD).is_file():
        raise BenchError(f"{option} {folder}: holds files no benchmark wrote; the benchmark "
                         "replaces and removes what is in its work folder, give a new or "
                         "empty one")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / RECORD).write_text(json.dumps({"written_by": script}), encoding="utf-8")
    return folder


def require_input(path: str | Path, what: str = "file") -> Path:
    path = Path(path)
    exists = path.is_dir() if what == "folder" else path.is_file()
    if not exists:
        raise BenchError(f"{path}: {what} not found")
    return path


def run_main(main: Callable[[], object]) -> None:
    """Run a benchmark's main with the CLI's manners: one line and exit 2 on a bad input; a
    main that returns an exit code exits with it."""
    from shoprel.errors import ShoprelError

    try:
        code = main()
    except (BenchError, ShoprelError) as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    except FileNotFoundError as error:
        print(f"error: {error.filename or error}: file not found", file=sys.stderr)
        sys.exit(2)
    except subprocess.CalledProcessError as error:
        command = " ".join(str(part) for part in error.cmd[:4])
        print(f"error: `{command} ...` failed with exit code {error.returncode} (its own "
              "message is above)", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    if isinstance(code, int):
        sys.exit(code)
