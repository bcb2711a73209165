"""The translation bar: drawn for long work with or without a cache, never for an empty stage,
never under --quiet."""

from __future__ import annotations

import json

from click.testing import CliRunner

from shoprel.augment.backends import make_translator
from shoprel.augment.progress import ProgressTranslator
from shoprel.augment.table import TableTranslator
from shoprel.cli.augment import translate
from shoprel.utils.progress import quiet_while


class Upper:
    """Upper-cases Spanish and French, no route for the rest; records each call's languages."""

    name, model = "upper", "v1"

    def __init__(self):
        self.calls: list[list[str]] = []

    def translate(self, texts, source_langs, target):
        self.calls.append(list(source_langs))
        return [t.upper() if s in ("es", "fr") else None
                for t, s in zip(texts, source_langs, strict=True)]


TEXTS = [f"q{i}" for i in range(10)]
LANGS = ["es", "ja", "fr", "es", "fr", "ja", "es", "fr", "es", "ja"]


def test_batches_come_back_in_order_one_language_at_a_time(capsys):
    inner = Upper()
    got = ProgressTranslator(inner, progress=True, batch_size=3).translate(TEXTS, LANGS, "en")
    assert got == Upper().translate(TEXTS, LANGS, "en")
    assert [len(c) for c in inner.calls] == [3, 3, 3, 1]
    assert sum(len(set(c)) > 1 for c in inner.calls) <= 2  # only where a language ends
    assert "translate→en: 10/10 [" in capsys.readouterr().err


def test_no_bar_when_off_quiet_empty_or_short(capsys):
    for progress in (False, None):  # None: only from progress_min texts on
        inner = Upper()
        ProgressTranslator(inner, progress=progress, batch_size=3).translate(TEXTS, LANGS, "en")
        assert len(inner.calls) == 1  # no bar: the backend is asked once, as before
    with quiet_while(True):
        ProgressTranslator(Upper(), progress=True, batch_size=3).translate(TEXTS, LANGS, "en")
    assert ProgressTranslator(Upper(), progress=True).translate([], [], "en") == []
    assert capsys.readouterr().err == ""
    ProgressTranslator(Upper(), progress=None, progress_min=10).translate(TEXTS, LANGS, "en")
    assert "10/10" in capsys.readouterr().err


def test_make_translator_wraps_a_backend_without_a_cache(tmp_path, jsonl):
    table = jsonl(tmp_path / "t.jsonl", [
        {"text": "bolso", "source": "es", "target": "en", "translation": "bag"}])
    assert isinstance(make_translator("table", table=table, progress=False), TableTranslator)
    wrapped = make_translator("table", table=table)
    assert isinstance(wrapped, ProgressTranslator) and isinstance(wrapped.inner, TableTranslator)
    assert (wrapped.name, wrapped.model) == ("table", wrapped.inner.model)
    assert wrapped.translate(["bolso", "x"], ["es", "es"], "en") == ["bag", None]


def _big(tmp_path, rows=2500):
    data = tmp_path / "big.jsonl"
    data.write_text("".join(json.dumps({"id": i, "language": "es", "origin_query": f"bolso {i}",
                                        "category_path": "a"}) + "\n" for i in range(rows)))
    table = tmp_path / "t.jsonl"
    table.write_text("".join(json.dumps({"text": f"bolso {i}", "source": "es", "target": "en",
                                         "translation": f"bag {i}"}) + "\n"
                             for i in range(rows)))
    return data, table


def test_translate_shows_progress_for_many_rows_with_and_without_cache(tmp_path):
    data, table = _big(tmp_path)
    base = [str(data), "--backend", "table", "--table", str(table), "--overwrite"]
    for extra in ([], ["--cache", str(tmp_path / "c.sqlite")]):
        done = CliRunner().invoke(translate, [*base, "--out", str(tmp_path / "o.jsonl"), *extra])
        assert done.exit_code == 0, done.output
        assert "translate→en: 2500/2500 [" in done.stderr, extra
        quiet = CliRunner().invoke(translate, [*base, "--out", str(tmp_path / "q.jsonl"),
                                               "--quiet", *extra])
        assert quiet.exit_code == 0 and quiet.stderr == "", (extra, quiet.stderr)
        assert quiet.stdout.splitlines()[-1].startswith(f"wrote {tmp_path / 'q.jsonl'}: 2500 ")
    # everything cached now: nothing left to translate draws no (empty) bar
    again = CliRunner().invoke(translate, [*base, "--out", str(tmp_path / "o.jsonl"),
                                           "--cache", str(tmp_path / "c.sqlite")])
    assert again.exit_code == 0 and again.stderr == ""


def test_a_regional_target_names_the_bar_as_asked(tmp_path, capsys):
    """`translate --to pt-BR` drew `translate→pt`, its base language, whatever the backend
    translated into (Apertium's es-pt_BR where installed): the bar names the target asked for,
    a whole file's bar, a backend's without a cache and a cache's alike."""
    from shoprel.augment.cache import CachedTranslator

    ProgressTranslator(Upper(), progress=True, batch_size=3).translate(TEXTS, LANGS, "pt-br")
    assert "translate→pt-BR: 10/10 [" in capsys.readouterr().err
    cached = CachedTranslator(Upper(), tmp_path / "c.sqlite", progress=True)
    cached.translate(TEXTS, LANGS, "pt_BR")
    cached.close()
    assert "translate→pt-BR: " in capsys.readouterr().err
    data, _ = _big(tmp_path)
    table = tmp_path / "pt.jsonl"
    table.write_text("".join(json.dumps({"text": f"bolso {i}", "source": "es", "target": "pt",
                                         "translation": f"bolsa {i}"}) + "\n"
                             for i in range(2500)))
    done = CliRunner().invoke(translate, [str(data), "--backend", "table", "--table", str(table),
                                          "--to", "pt-BR", "--out", str(tmp_path / "o.jsonl")])
    assert done.exit_code == 0, done.output
    assert "translate→pt-BR: 2500/2500 [" in done.stderr, done.stderr
    assert "translate→pt:" not in done.stderr
