"""Paths at which no file can be: refused in one line where an argument or an option names
one, before any work (the API's path arguments, the commands' path options)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from shoprel.errors import InputError, ShoprelError

# the longest file or folder name, in bytes, that Linux's and macOS's file systems take; one
# that takes fewer, or a whole path longer than the system's, says so itself (ENAMETOOLONG)
NAME_MAX = 255


def unusable_path(path: Path) -> str | None:
    """Why no file can be at `path` at all, as the argument's error (the path said in it), or
    None: a `~name` of no user (os.path.expanduser left it as written), a NUL character, a
    character no file name can hold, a name too long, a link that leads back to itself on the
    way. Each was a traceback from wherever the path was first used (pathlib's RuntimeError
    "Could not determine home directory", ValueError "embedded null byte",
    UnicodeEncodeError, OSError "File name too long", RuntimeError "Symlink loop"), for an
    output after the work. `path`: with `~` expanded."""
    text = str(path)
    first = path.parts[0] if path.parts else ""
    if first.startswith("~"):  # os.path.expanduser left it: no such user, or no home known
        whose = f"no user {first[1:]!r} is known here" if first[1:] else "no home is known here"
        return (f"{_shortened(text)}: {first!r} is read as a home folder, but {whose}; write "
                "the path in full, from /")
    if "\x00" in text:
        return f"{text!r} holds a NUL character, which no path can hold; give it without"
    try:
        names = [os.fsencode(part) for part in path.parts]
    except UnicodeEncodeError as exc:
        return (f"{text!r} holds {exc.object[exc.start]!r}, a lone surrogate, which no path "
                "can hold; give it without")
    longest = max(names, key=len, default=b"")
    if len(longest) > NAME_MAX:
        return _too_long(text, longest, NAME_MAX)
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            return _too_long(text, longest, None)
        if exc.errno == errno.ELOOP:
            return (f"{_shortened(text)}: is a link that leads back to itself, or lies "
                    "under one; give another path")
    return None


def expanded_usable(given: str | os.PathLike, name: str,
                    error: type[ShoprelError] = InputError) -> str:
    """`given` with `~` read as the home folder, as a shell reads it; a path no file can be at
    (unusable_path) refused as `error` naming `name`, the argument, option or config key that
    gave it: the API's path arguments, config paths and the cache root alike."""
    expanded = os.path.expanduser(given)
    problem = unusable_path(Path(expanded))
    if problem:
        raise error(f"{name}: {problem}")
    return expanded


def nearest_existing(path: Path) -> Path:
    """`path` (made absolute), or the nearest of its folders that exists: where a file or
    folder made at `path` is made in, which must be a folder. A path this process cannot look
    at counts as missing, as os.path.exists has it (pathlib's exists raised PermissionError)."""
    existing = Path(path).absolute()
    while not os.path.exists(existing) and existing != existing.parent:
        existing = existing.parent
    return existing


def _too_long(text: str, name: bytes, limit: int | None) -> str:
    """A path too long to use: its name `name` more than `limit` bytes, or (None) the name or
    the whole path more than its file system or the system take."""
    shown = repr(_shortened(os.fsdecode(name), 40))
    said = (f"the name {shown} is {len(name)} bytes long, more than the {limit} a file name "
            "may hold" if limit else
            f"the path ({len(os.fsencode(text))} bytes) or its name {shown} ({len(name)} bytes) "
            "is longer than this file system takes")
    return f"{_shortened(text)}: {said}; give a shorter one"


def _shortened(text: str, most: int = 100) -> str:
    return text if len(text) <= most else f"{text[:most]}..."
