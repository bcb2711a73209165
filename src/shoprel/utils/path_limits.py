"""Paths at which no file can be: refused in one line where an argument or an option names
one, before any work (the API's path arguments, the commands' path options)."""

from __future__ import annotations

from pathlib import Path


def unusable_path(path: Path) -> str | None:
    """Why no file can be at `path` at all, as the argument's error (the path said in it), or
    None: a `~name` of no user (os.path.expanduser left it as written). It was a traceback
    from wherever the path was first used (pathlib's RuntimeError "Could not determine home
    directory"), for an output after the work. `path`: with `~` expanded."""
    text = str(path)
    first = path.parts[0] if path.parts else ""
    if first.startswith("~"):  # os.path.expanduser left it: no such user, or no home known
        whose = f"no user {first[1:]!r} is known here" if first[1:] else "no home is known here"
        return (f"{_shortened(text)}: {first!r} is read as a home folder, but {whose}; write "
                "the path in full, from /")
    return None


def _shortened(text: str, most: int = 100) -> str:
    return text if len(text) <= most else f"{text[:most]}..."
