"""A config file's plain value that YAML 1.1 reads as another kind than written (`no` as false,
`0123` as 83, `12:30` as 750, `2024-01-01` as a date) is refused as written, in one line with
the file, line and field and how to write it; it was refused in pydantic's words ("Input should
be a valid string"), quoting Python's False, or read silently (`k: 010` was 8 folds)."""

import pytest

from shoprel.errors import ConfigError
from shoprel.training.config_reading import load_config

pytestmark = pytest.mark.usefixtures("no_report_charts")

TRANSLATOR = "data:\n  translator:\n    backend: apertium\n"


def _refused(tmp_path, text: str) -> str:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    said = str(info.value)
    assert "\n" not in said
    return said.removeprefix(f"{path}: ")


@pytest.mark.parametrize("text, said", [
    (TRANSLATOR + "    to: no\n",  # Norwegian
     "line 4: data.translator.to: expected a text, got no, which YAML reads as false; quote "
     "it: 'no'"),
    (TRANSLATOR + "    to: on\n",
     "line 4: data.translator.to: expected a text, got on, which YAML reads as true; quote "
     "it: 'on'"),
    ("data:\n  translator: {backend: table, table: 0123}\n",
     "line 2: data.translator.table: expected a text, got 0123, which YAML reads as the number "
     "83 (octal); quote it: '0123'"),
    (TRANSLATOR + "    cache: 12:30\n",
     "line 4: data.translator.cache: expected a text, got 12:30, which YAML reads as the number "
     "750 (base 60); quote it: '12:30'"),
    # where null is taken too, `off` may mean none: the line says both ways
    ("noise:\n  flagged: off\n",
     "line 2: noise.flagged: expected a text or null, got off, which YAML reads as false; "
     "write null for none, or quote it for the text: 'off'"),
    ("model: {family: fast}\naugment:\n  translate: {no: da}\n",
     "line 3: augment.translate: a key: expected a text, got no, which YAML reads as false; "
     "quote it: 'no'"),
    ("model: {family: fast}\naugment:\n  translate: {nb: no}\n",
     "line 3: augment.translate.nb: expected a text, got no, which YAML reads as false; quote "
     "it: 'no'"),
    ("model:\n  family: embed\n  params:\n    backbone: [e5-small, off]\n",
     "line 4: model.params.backbone: item 2 of the list: expected a text, got off, which YAML "
     "reads as false; quote it: 'off'"),
    ("model:\n  family: cross\n  params:\n    cache_dir: 2024\n",
     "line 4: model.params.cache_dir: expected a text, got the number 2024; quote it: '2024'"),
    ("model:\n  family: cross\n  params:\n    backbone: 2024-01-01\n",
     "line 4: model.params.backbone: expected a text, got 2024-01-01, which YAML reads as a "
     "date; quote it: '2024-01-01'"),
    ("model: {family: cross}\nstage0:\n  data: o.jsonl\n  params: {backbone: yes}\n",
     "line 4: stage0.params.backbone: expected a text, got yes, which YAML reads as true; "
     "quote it: 'yes'"),
    ("student:\n  model: {family: embed, params: {backbone: [no]}}\n",
     "line 2: student.model.params.backbone: item 1 of the list: expected a text, got no, "
     "which YAML reads as false; quote it: 'no'"),
    # a choice: the value as written, not Python's False
    ("data:\n  task: no\n",
     "line 2: data.task: expected 'QC' or 'QI' or null, got no, which YAML reads as false"),
    # a key: "c.yaml: 1: Keys should be strings", no line, the key said as 1
    ("yes: 3\n", "line 1: a key: expected a text, got yes, which YAML reads as true; quote "
     "it: 'yes'"),
    ("model:\n  family: fast\n  params:\n    on: 3\n",
     "line 4: model.params: a key: expected a text, got on, which YAML reads as true; quote "
     "it: 'on'"),
    # a number field: `yes` said as written; an octal or base-60 number was read silently
    ("folds:\n  k: yes\n", "line 2: folds.k: expected a number, got yes, which YAML reads as "
     "true"),
    ("threshold: {mode: fixed, value: off}\n",
     "line 1: threshold.value: expected a number, got off, which YAML reads as false"),
    ("folds:\n  k: 010\n", "line 2: folds.k: expected a number, got 010, which YAML reads as "
     "the number 8 (octal); write 8, or 10 without the leading zero"),
    ("model:\n  family: fast\n  params:\n    n_estimators: 0400\n",
     "line 4: model.params.n_estimators: expected a number, got 0400, which YAML reads as the "
     "number 256 (octal); write 256, or 400 without the leading zero"),
    ("folds:\n  seed: 1:30\n", "line 2: folds.seed: expected a number, got 1:30, which YAML "
     "reads as the number 90 (base 60); write 90"),
    ("folds:\n  k: 08\n", "line 2: folds.k: expected a number, got 08, which YAML reads as "
     "text (a leading zero makes an octal number, and 8 or 9 is no octal digit); write 8"),
    # a whole section: "expected a mapping of keys, got true/false", not the word written
    ("data: no\n", "line 1: data: expected a mapping of keys, got no, which YAML reads as "
     "false"),
    ("model: yes\n", "line 1: model: expected a mapping of keys, got yes, which YAML reads as "
     "true"),
    ("folds: 12:30\n", "line 1: folds: expected a mapping of keys, got 12:30, which YAML "
     "reads as the number 750 (base 60)"),
    # a family's params, or stage 0's: "expected a mapping of param: value ..., got true/false"
    ("model:\n  params: no\n", "line 2: model.params: expected a mapping of keys, got no, which "
     "YAML reads as false"),
    ("stage0:\n  params: on\n", "line 2: stage0.params: expected a mapping of keys, got on, "
     "which YAML reads as true"),
    ("student:\n  model:\n    params: yes\n", "line 3: student.model.params: expected a "
     "mapping of keys, got yes, which YAML reads as true"),
    ("model:\n  params: 010\n", "line 2: model.params: expected a mapping of keys, got 010, "
     "which YAML reads as the number 8 (octal)"),
    # where null is taken (no student, no translator), `off` may mean none: said so
    ("student: off\n", "line 1: student: expected a mapping of keys or null, got off, which "
     "YAML reads as false; write null for none"),
    ("data:\n  translator: no\n", "line 2: data.translator: expected a mapping of keys or "
     "null, got no, which YAML reads as false; write null for none"),
])
def test_a_value_yaml_reads_as_another_kind_is_refused_as_written(tmp_path, text, said):
    assert _refused(tmp_path, text) == said


def test_it_is_said_with_the_files_other_mistakes_once(tmp_path):
    """In the same line as the file's other errors, first, and pydantic's own error on the
    same value ("Input should be a valid string") left out."""
    said = _refused(tmp_path, "folds: {kk: 3}\nmodel:\n  family: cross\n  params:\n"
                              "    backbone: no\n    bogus: 1\n")
    path = tmp_path / "c.yaml"
    assert said == ("line 5: model.params.backbone: expected a text, got no, which YAML reads "
                    f"as false; quote it: 'no'; {path}: line 1: folds.kk: unknown key; did you "
                    f"mean 'k'?; {path}: line 6: model.params.bogus: unknown key")


def test_an_option_over_the_value_does_not_hide_it(tmp_path):
    """--task over `task: no` (as over any wrong value of the file): the file is named."""
    path = tmp_path / "c.yaml"
    path.write_text("data:\n  task: no\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, {"data.task": "QC"}, options={"data.task": "--task"})
    assert str(info.value) == (f"{path}: line 2: data.task: expected 'QC' or 'QI' or null, "
                               "got no, which YAML reads as false")
    path.write_text("student: no\n")  # --no-student over it: the file's own line still
    with pytest.raises(ConfigError) as info:
        load_config(path, {"student": None}, options={"student": "--no-student"})
    assert str(info.value) == (f"{path}: line 1: student: expected a mapping of keys or null, "
                               "got no, which YAML reads as false; write null for none")


@pytest.mark.parametrize("text, read", [
    (TRANSLATOR + "    to: 'no'\n", lambda c: c.data.translator.to == "no"),
    ('model: {family: fast}\naugment:\n  translate: {"no": da}\n',
     lambda c: c.augment.translate == {"no": "da"}),
    ("model:\n  family: cross\n  params:\n    backbone: '2024-01-01'\n",
     lambda c: c.model.params["backbone"] == "2024-01-01"),
    # a true/false field takes YAML's words for true and false, as before
    ("final: {refit_full: no, keep_fold_models: on}\n",
     lambda c: (c.final.refit_full, c.final.keep_fold_models) == (False, True)),
    ("model:\n  family: embed\n  params:\n    raw_embeddings: off\n",
     lambda c: c.model.params["raw_embeddings"] is False),
    # numbers that read as written: 007 is 7 either way, 1_000 and 0x10 as their writer meant
    ("folds: {k: 007, seed: 1_000}\n", lambda c: (c.folds.k, c.folds.seed) == (7, 1000)),
    ("folds: {seed: 0x10}\nthreshold: {mode: fixed, value: 1e-1}\n",
     lambda c: (c.folds.seed, c.threshold.value) == (16, 0.1)),
])
def test_a_value_written_as_its_field_takes_it_is_read(tmp_path, text, read):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    config = load_config(path)
    assert read(config)
    saved = tmp_path / "config.yaml"  # a run's config.yaml reads back as it was
    saved.write_text(config.to_yaml())
    assert load_config(saved, saved=True) == config


@pytest.mark.parametrize("overrides, said", [
    ({"data.translator": {"backend": "apertium", "to": False}},
     "overrides: data.translator.to: expected a text, got False"),
    ({"noise.flagged": 3}, "overrides: noise.flagged: expected a text, got 3"),
])
def test_a_number_or_boolean_for_a_text_in_python_says_what_was_given(overrides, said):
    """pydantic's "Input should be a valid string" did not say what was given."""
    with pytest.raises(ConfigError) as info:
        load_config(None, overrides)
    assert str(info.value) == said
