"""`shoprel predict` with a run trained on translated queries and a file without them: one
`warning:` line (not Python's two-line UserWarning), which --quiet leaves out."""

import json

import pytest
from click.testing import CliRunner

from shoprel.augment.table import TableTranslator
from shoprel.augment.translate_file import translate_file
from shoprel.cli.predict import predict
from shoprel.demo import demo_file
from shoprel.training.config import load_config
from shoprel.training.runner import train

ROWS = 90


@pytest.fixture(scope="module")
def translated_run(tmp_path_factory):
    """(a run trained on translated queries, the same rows without translations)."""
    root = tmp_path_factory.mktemp("translated-run")
    rows = [json.loads(x) for x in demo_file("QC").read_text(encoding="utf-8").splitlines()]
    bare = root / "bare.jsonl"
    bare.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows[:ROWS]),
                    encoding="utf-8")
    table = root / "t.jsonl"
    table.write_text("".join(json.dumps({"text": r["origin_query"], "source": r["language"],
                                         "target": "en", "translation": f"en {r['origin_query']}"},
                                        ensure_ascii=False) + "\n"
                             for r in rows if r["language"] != "en"), encoding="utf-8")
    translated = root / "translated.jsonl"
    translate_file(bare, translated, TableTranslator(table))
    config = load_config(None, {"model.family": "fast", "model.params.n_features": 2**14,
                                "model.params.n_estimators": 20, "model.params.n_jobs": 1,
                                "folds.k": 2, "final.keep_fold_models": False})
    return train(translated, root / "run", config, progress=False).run_dir, bare


@pytest.mark.filterwarnings("error::UserWarning")
def test_bare_input_to_a_translated_run_is_one_warning_line(translated_run, tmp_path):
    run, bare = translated_run
    args = [str(run), str(bare), "--out", str(tmp_path / "p.jsonl")]
    result = CliRunner().invoke(predict, args)
    assert result.exit_code == 0, result.output
    warning = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warning == [f"warning: {ROWS} of {ROWS} rows scored on the bare query: the run was "
                       f"trained with translations and {bare} has no translated_query there "
                       "(run `shoprel translate` on it first)"]
    quiet = CliRunner().invoke(predict, [*args[:-1], str(tmp_path / "q.jsonl"), "--quiet"])
    # --quiet silences progress, not a warning about the scores
    assert quiet.exit_code == 0 and quiet.stderr.splitlines() == warning
