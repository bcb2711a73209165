"""The SQLite cache: a rerun asks the backend nothing; an interrupted run keeps its batches."""

from __future__ import annotations

import pytest

from shoprel.augment.cache import CachedTranslator


class CountingTranslator:
    """Upper-cases Spanish and French; no route for anything else. Counts what it is asked."""

    name = "counting"
    model = "v1"

    def __init__(self, fail_after: int | None = None):
        self.calls = 0
        self.texts = 0
        self.fail_after = fail_after

    def translate(self, texts, source_langs, target):
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise KeyboardInterrupt
        self.calls += 1
        self.texts += len(texts)
        return [t.upper() if s in ("es", "fr") else None for t, s in
                zip(texts, source_langs, strict=True)]


TEXTS = ["zapatos", "montre", "zapatos", "電動ドリル", "car", "bolso"]
LANGS = ["es", "fr", "es", "ja", "en", "es"]
EXPECTED = ["ZAPATOS", "MONTRE", "ZAPATOS", None, "car", "BOLSO"]


def test_second_run_calls_backend_zero_times(tmp_path):
    first = CountingTranslator()
    with CachedTranslator(first, tmp_path / "c.sqlite") as cached:
        assert cached.translate(TEXTS, LANGS, "en") == EXPECTED
    assert first.texts == 4  # duplicates asked once, English never asked

    second = CountingTranslator()
    with CachedTranslator(second, tmp_path / "c.sqlite") as cached:
        assert cached.translate(TEXTS[:3] + TEXTS[4:], LANGS[:3] + LANGS[4:], "en") == \
            EXPECTED[:3] + EXPECTED[4:]
        assert cached.hits == 3 and cached.misses == 0
    assert second.calls == 0


def test_unrouted_texts_are_not_cached(tmp_path):
    with CachedTranslator(CountingTranslator(), tmp_path / "c.sqlite") as cached:
        cached.translate(["電動ドリル"], ["ja"], "en")
    again = CountingTranslator()
    with CachedTranslator(again, tmp_path / "c.sqlite") as cached:
        assert cached.translate(["電動ドリル"], ["ja"], "en") == [None]
    assert again.texts == 1  # asked again: a pair installed since might route it now


def test_interrupted_run_keeps_finished_batches(tmp_path):
    texts = [f"consulta {i}" for i in range(10)]
    broken = CountingTranslator(fail_after=2)
    with CachedTranslator(broken, tmp_path / "c.sqlite", batch_size=3) as cached:
        with pytest.raises(KeyboardInterrupt):
            cached.translate(texts, ["es"] * 10, "en")
    resumed = CountingTranslator()
    with CachedTranslator(resumed, tmp_path / "c.sqlite", batch_size=3) as cached:
        out = cached.translate(texts, ["es"] * 10, "en")
    assert out == [t.upper() for t in texts]
    assert resumed.texts == 4  # 2 batches of 3 were committed before the interruption


def test_model_and_target_are_part_of_the_key(tmp_path):
    with CachedTranslator(CountingTranslator(), tmp_path / "c.sqlite") as cached:
        cached.translate(["zapatos"], ["es"], "en")
    other = CountingTranslator()
    other.model = "v2"
    with CachedTranslator(other, tmp_path / "c.sqlite") as cached:
        cached.translate(["zapatos"], ["es"], "en")
        cached.translate(["zapatos"], ["es"], "fr")
    assert other.calls == 2


def test_a_file_that_is_not_a_translation_cache_is_left_as_it_was(tmp_path):
    """Another database, or an empty file, is the user's: no table is added to it."""
    import hashlib
    import sqlite3

    from shoprel.errors import InputError

    users = tmp_path / "user.db"
    with sqlite3.connect(users) as db:
        db.execute("CREATE TABLE mine (x)")
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    for path, held in ((users, "holds mine"), (empty, "holds no tables")):
        before = hashlib.sha256(path.read_bytes()).hexdigest()
        with pytest.raises(InputError, match=f"not a translation cache shoprel wrote .{held}"):
            CachedTranslator(CountingTranslator(), path)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_a_folder_given_as_the_cache_is_named_as_a_folder(tmp_path):
    """`--cache ~/.cache/shoprel` (the folder, not a file in it) was told 'not a translation
    cache (unable to open database file)'; it is told it is a folder, with a file name to give."""
    from shoprel.errors import InputError

    (tmp_path / "kept.txt").write_text("mine")
    with pytest.raises(InputError) as caught:
        CachedTranslator(CountingTranslator(), tmp_path)
    message = str(caught.value)
    assert message == (f"{tmp_path}: is a folder; the translation cache is one SQLite file: "
                       "give a file name (e.g. translations.sqlite)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.txt"]


def test_nothing_left_to_translate_draws_no_bar(tmp_path, capsys):
    """A fully cached call drew an empty 'translate→en: 0text' bar when progress=True."""
    texts, langs = ["zapatos", "montre", "car"], ["es", "fr", "en"]  # all routed, so cached
    with CachedTranslator(CountingTranslator(), tmp_path / "c.sqlite", progress=True) as cached:
        cached.translate(texts, langs, "en")
        assert "translate→en: 2/2 [" in capsys.readouterr().err  # "en" passes through
        cached.translate(texts, langs, "en")
        cached.translate([], [], "en")
    assert capsys.readouterr().err == ""


def test_a_new_cache_another_command_stored_in_meanwhile_is_kept(tmp_path):
    """A command that made a new cache and failed having stored nothing took the file away, even
    when a second command sharing it (a loop translating several files at once, one of them
    refused) had stored its translations there meanwhile: they were deleted with it."""
    import sqlite3

    from shoprel.augment.cache import closing_translator

    cache = tmp_path / "caches" / "shared.sqlite"
    with pytest.raises(KeyboardInterrupt):  # this command: made the file, then stopped
        with closing_translator(lambda: CachedTranslator(CountingTranslator(), cache), cache):
            with CachedTranslator(CountingTranslator(), cache) as other:  # the second one
                assert other.translate(["zapatos"], ["es"], "en") == ["ZAPATOS"]
            raise KeyboardInterrupt
    db = sqlite3.connect(cache)
    try:
        assert db.execute("SELECT text, translation FROM translations").fetchall() == [
            ("zapatos", "ZAPATOS")]
    finally:
        db.close()
    alone = tmp_path / "alone" / "new.sqlite"  # nothing stored by anyone: taken away again
    with pytest.raises(KeyboardInterrupt):
        with closing_translator(lambda: CachedTranslator(CountingTranslator(), alone), alone):
            raise KeyboardInterrupt
    assert not (tmp_path / "alone").exists()
