"""A persistent SQLite cache in front of any Translator: nothing is translated twice.

Rows are committed after every backend batch, so an interrupted run keeps what it finished.
Only real translations are stored: a text with no route is asked again next time (a pair
installed since then may give it one).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from shoprel.augment.progress import PROGRESS_MIN, translation_bar
from shoprel.augment.translator import Translator, check_batch, target_tag
from shoprel.data.language_tags import base_language
from shoprel.errors import InputError
from shoprel.utils.sqlite_in import rows_where_in

T = TypeVar("T")

COLUMNS = ("backend", "model", "source", "target", "text", "translation")
SCHEMA = """
CREATE TABLE IF NOT EXISTS translations (
    backend TEXT NOT NULL, model TEXT NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL,
    text TEXT NOT NULL, translation TEXT NOT NULL,
    PRIMARY KEY (backend, model, source, target, text)
)
"""


class CachedTranslator:
    """Wraps a Translator; same contract, plus hit/miss counters for reports and tests."""

    def __init__(self, inner: Translator, path: str | Path, batch_size: int = 256,
                 progress: bool | None = None, progress_min: int = PROGRESS_MIN):
        self.inner = inner
        self.name = inner.name
        self.model = inner.model
        self.path = Path(path)
        if self.path.is_dir():  # sqlite would only say "unable to open database file"
            raise _a_folder(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.batch_size = batch_size
        self.progress = progress
        self.progress_min = progress_min
        self.hits = 0
        self.misses = 0
        self.stored = 0  # translations written to the cache by this translator (committed)
        existed = self.path.exists()
        try:
            self._db = sqlite3.connect(self.path)
        except sqlite3.DatabaseError as exc:
            raise _not_a_cache(self.path, exc) from None
        try:
            if existed:
                _check_ours(self._db, self.path)
            self._db.execute(SCHEMA)
            self._db.commit()
        except BaseException as exc:
            self._db.close()  # refused: no connection left open for the garbage collector
            if isinstance(exc, sqlite3.DatabaseError):  # a data file named as the cache
                raise _not_a_cache(self.path, exc) from None
            raise

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> CachedTranslator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _lookup(self, source: str, target: str, texts: list[str]) -> dict[str, str]:
        return dict(rows_where_in(
            self._db, "SELECT text, translation FROM translations", "text", texts,
            where="backend=? AND model=? AND source=? AND target=?",
            params=(self.name, self.model, source, target)))

    def translate(self, texts: list[str], source_langs: list[str], target: str
                  ) -> list[str | None]:
        check_batch(texts, source_langs)
        target = target_tag(target)  # stored apart: es->pt-BR is not es->pt
        base = base_language(target)
        sources = [base_language(s) for s in source_langs]
        known: dict[tuple[str, str], str | None] = {}
        unique: dict[str, list[str]] = {}
        for text, source in zip(texts, sources, strict=True):
            if source == base:
                known[(source, text)] = text
            else:
                unique.setdefault(source, [])
                if (source, text) not in known:
                    known[(source, text)] = None
                    unique[source].append(text)
        missing: list[tuple[str, str]] = []
        for source, group in unique.items():
            cached = self._lookup(source, target, group)
            for text in group:
                if text in cached:
                    known[(source, text)] = cached[text]
                else:
                    missing.append((source, text))
        self.hits += sum(len(g) for g in unique.values()) - len(missing)
        self.misses += len(missing)
        self._fill(missing, target, known)
        return [known[(s, t)] for t, s in zip(texts, sources, strict=True)]

    def _fill(self, missing: list[tuple[str, str]], target: str, known: dict) -> None:
        # all cached: no bar (train drew an empty one per fold once the first had filled it)
        with translation_bar(len(missing), target, self.progress, self.progress_min) as bar:
            for start in range(0, len(missing), self.batch_size):
                batch = missing[start:start + self.batch_size]
                outputs = self.inner.translate([t for _, t in batch], [s for s, _ in batch],
                                               target)
                rows = []
                for (source, text), out in zip(batch, outputs, strict=True):
                    known[(source, text)] = out
                    if out is not None:
                        rows.append((self.name, self.model, source, target, text, out))
                self._db.executemany("INSERT OR REPLACE INTO translations VALUES (?,?,?,?,?,?)",
                                     rows)
                self._db.commit()
                self.stored += len(rows)
                bar.update(len(batch))


def check_cache_file(path: str | Path) -> None:
    """Refuse, as CachedTranslator refuses it when it opens it, a translation cache that is a
    folder or an existing file shoprel did not write as one (a data file, another database),
    read only, writing nothing: a command checks it before its work so (train, distill
    --nested's refits of a teacher, whose recorded cache may have become another file), not
    once the work opens it. A cache not made yet passes."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise _a_folder(path)
    if not path.is_file():
        return
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.DatabaseError as exc:
        raise _not_a_cache(path, exc) from None
    try:
        _check_ours(db, path)
    except sqlite3.DatabaseError as exc:
        raise _not_a_cache(path, exc) from None
    finally:
        db.close()


def _check_ours(db: sqlite3.Connection, path: Path) -> None:
    """An existing file must be a cache CachedTranslator wrote: another database (or an empty
    file) is the user's, and adding a table to it would change it."""
    tables = {name for (name,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type='table'") if not name.startswith("sqlite_")}
    columns = {row[1] for row in db.execute("PRAGMA table_info(translations)")}
    if tables != {"translations"} or columns != set(COLUMNS):
        found = ", ".join(sorted(tables)) or "no tables"
        raise InputError(f"exists and is not a translation cache shoprel wrote (holds "
                         f"{found}); give a new file name or a cache shoprel wrote", path=path)


def _not_a_cache(path: Path, exc: sqlite3.DatabaseError) -> InputError:
    return InputError(f"not a translation cache ({exc}); give a new file name or a cache "
                      "shoprel wrote", path=path)


def _a_folder(path: Path) -> InputError:
    return InputError("is a folder; the translation cache is one SQLite file: give a file "
                      "name (e.g. translations.sqlite)", path=path)


def not_there_yet(path: str | Path) -> list[Path]:
    """The cache file and the folders above it that do not exist yet, deepest first: what a
    CachedTranslator made at `path` would create (remove_unused takes them away again)."""
    path = Path(path).expanduser().absolute()
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    return missing


def remove_unused(created: list[Path]) -> None:
    """Take away a cache file a command created (not_there_yet) and stored nothing in, then the
    folders made for it, while empty: a refused command leaves no new empty file behind. A file
    holding translations is kept: another command sharing the new cache (a loop translating
    several files at once) stored them there meanwhile, and they were deleted with it."""
    if not created or _holds_translations(created[0]):
        return
    created[0].unlink(missing_ok=True)
    for folder in created[1:]:
        try:
            folder.rmdir()
        except OSError:  # not empty (something else was put there meanwhile), or gone
            return


def _holds_translations(path: Path) -> bool:
    """Whether the cache file holds any translation; one that cannot be read (another
    process writing it, not a cache at all) counts as holding some: not this command's to
    delete. An empty file (no table yet) holds none."""
    try:
        if path.stat().st_size == 0:
            return False
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except FileNotFoundError:
        return False
    except (OSError, sqlite3.Error):
        return True
    try:
        return bool(db.execute("SELECT EXISTS (SELECT 1 FROM translations)").fetchone()[0])
    except sqlite3.Error:
        return True
    finally:
        db.close()


@contextmanager
def closing_translator(make: Callable[[], T], cache: str | Path | None) -> Iterator[T]:
    """The translator make() returns, closed on leaving the block. A cache file at `cache` that
    did not exist before is taken away again (remove_unused) when make() or the block fails
    having stored nothing in it: a refused input or pair leaves no new empty file behind. A
    cache that existed before is never touched."""
    created = [] if cache is None else not_there_yet(cache)
    try:
        translator = make()
    except BaseException:
        remove_unused(created)
        raise
    done = False
    try:
        yield translator
        done = True
    finally:
        close = getattr(translator, "close", None)
        if close is not None:
            close()
        if not done and not getattr(translator, "stored", 0):
            remove_unused(created)
