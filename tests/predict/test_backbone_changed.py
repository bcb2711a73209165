"""A run whose local backbone folder changed since training (one byte of its weights): predict,
Scorer and serve refuse it in one line naming the run's config.yaml and the line there that
names the backbone, and saying what to do (for a distilled student: the distill that makes it
again; distill --nested refuses such a teacher before refitting it). They said only
`model.params.backbone: '...' now resolves to sha256:..., but the model was trained on ...`:
whose run, and then what?"""

import hashlib
import shutil

import pytest
from click.testing import CliRunner

from shoprel import Scorer
from shoprel.cli import main
from shoprel.demo import demo_file
from shoprel.errors import ConfigError


def folder_fingerprint(folder):
    """A one-weight-file folder's fingerprint, worked out here by hand: the SHA-256 over the
    file's name and the hex SHA-256 of its bytes."""
    weights = folder / "model.safetensors"
    inner = hashlib.sha256(weights.read_bytes()).hexdigest()
    return "sha256:" + hashlib.sha256(weights.name.encode() + inner.encode()).hexdigest()


def changed_backbone_copy(run, tmp_path, name="bert"):
    """A copy of the run (trained on the folder `name` beside it) on a copy of its backbone
    folder whose weights file then had one byte changed; (run, backbone folder, config.yaml
    line naming it, trained, now)."""
    original = run.parent / name
    copy = shutil.copytree(run, tmp_path / "run")
    bert = shutil.copytree(original, tmp_path / name)
    for path in [copy / "config.yaml", *copy.glob("models/*/model.json")]:
        text = path.read_text(encoding="utf-8")
        assert str(original) in text
        path.write_text(text.replace(str(original), str(bert)), encoding="utf-8")
    trained = folder_fingerprint(bert)
    weights = bert / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    now = folder_fingerprint(bert)
    assert now != trained
    lines = (copy / "config.yaml").read_text(encoding="utf-8").splitlines()
    line = next(n for n, row in enumerate(lines, 1) if row.strip() == f"backbone: {bert}")
    return copy, bert, line, trained, now


def changed_line(config, line, bert, now, trained) -> str:
    """The one line predict, index and distill give for a run trained on other weights."""
    return (f"{config}: line {line}: model.params.backbone {str(bert)!r}: now resolves to "
            f"{now}, but the model was trained on {trained}; put back the weights it was "
            f"trained on, or train it again on these: `shoprel train {demo_file('QC')} "
            f"--config {config} --out NEW_RUN`")


def test_a_backbone_changed_since_training_names_the_run_s_config_line_and_the_fix(
        embed_run, tmp_path):
    copy, bert, line, trained, now = changed_backbone_copy(embed_run, tmp_path)
    config = copy / "config.yaml"
    said = changed_line(config, line, bert, now, trained)
    out = tmp_path / "p.jsonl"
    result = CliRunner().invoke(main, ["predict", str(copy), str(demo_file("QC")), "--out",
                                       str(out), "--quiet"])
    assert result.exit_code == 2, result.output
    assert result.output == f"error: {said}\n"
    assert not out.exists()
    with pytest.raises(ConfigError) as raised:
        Scorer(copy)
    assert str(raised.value) == said
    from shoprel.serve.app import create_app

    with pytest.raises(ConfigError) as raised:
        create_app(copy)
    assert str(raised.value) == said


def test_a_bi_encoder_whose_backbone_changed_is_refused_before_predict_scores(
        biencoder_run, tmp_path, monkeypatch):
    """The bi-encoder checked its backbone only once it scored: predict said it without the run's
    config.yaml line, after the file's reading and scoring had begun. It is refused when the
    run is opened, in the embedding run's one line, and nothing is scored nor written."""
    from shoprel.models.biencoder import encoder_parts

    copy, bert, line, trained, now = changed_backbone_copy(biencoder_run, tmp_path)
    loaded = []
    load = encoder_parts.load_parts
    monkeypatch.setattr(encoder_parts, "load_parts",
                        lambda *args: loaded.append(args) or load(*args))
    config = copy / "config.yaml"
    out = tmp_path / "p.jsonl"
    result = CliRunner().invoke(main, ["predict", str(copy), str(demo_file("QC")), "--out",
                                       str(out), "--quiet"])
    assert result.exit_code == 2, result.output
    assert result.output == f"error: {changed_line(config, line, bert, now, trained)}\n"
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bert", "run"]
    assert loaded == []  # refused before the encoder was loaded


@pytest.fixture(scope="module")
def embed_student_root(tmp_path_factory, tiny_backbone):
    """A folder holding `bert` (a tiny local backbone) and `run`: a small fast QC run that
    carries a student of the embedding family on it (hard_weight 1, as train --student)."""
    pytest.importorskip("torch")
    from tests.conftest import FAST_TEST_PARAMS

    from shoprel.data.readers import read_pairs
    from shoprel.models.backbones.cache import CACHE_ENV
    from shoprel.training.config_reading import load_config
    from shoprel.training.runner import train

    root = tmp_path_factory.mktemp("embed-student")
    frame = read_pairs(demo_file("QC"))
    bert = tiny_backbone(root / "bert", [*frame.df["query"], *frame.df["target"]])
    student = {"model": {"family": "embed", "params": {
        "backbone": str(bert), "n_jobs": 1, "n_features": 2**16, "n_estimators": 40}}}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(root / "cache"))
        train(demo_file("QC"), root / "run", load_config(None, {**FAST_TEST_PARAMS,
                                                                "student": student}),
              progress=False)
    return root


def moved_copy(root, tmp_path, flip=True):
    """A copy of `root` in tmp_path/copy, every path its runs record rewritten to the copy's,
    with one byte of the copied backbone's weights changed (`flip`); the copy's folder."""
    copy = shutil.copytree(root, tmp_path / "copy")
    for path in [*copy.rglob("config.yaml"), *copy.rglob("model.json"),
                 *copy.rglob("metrics.json")]:
        path.write_text(path.read_text(encoding="utf-8").replace(str(root), str(copy)),
                        encoding="utf-8")
    if flip:
        weights = copy / "bert" / "model.safetensors"
        data = bytearray(weights.read_bytes())
        data[-1] ^= 1
        weights.write_bytes(bytes(data))
    return copy


def backbone_line(config):
    lines = config.read_text(encoding="utf-8").splitlines()
    return next(n for n, row in enumerate(lines, 1) if row.strip().startswith("backbone: "))


def test_a_carried_student_s_changed_backbone_names_the_distill_that_mends_it(
        embed_student_root, tmp_path, monkeypatch):
    """`predict --scorer student` on a run whose carried student's backbone changed said to
    `shoprel train ... --config RUN/student/config.yaml --out NEW_RUN`: a run of its own, with
    which `--scorer student` on RUN is refused still (and a model of the labels alone, not a
    distilled student). It names the distill that puts a student on these weights where the
    run carries it; that command, followed, makes `--scorer student` score again."""
    from shoprel.models.backbones.cache import CACHE_ENV

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    copy = moved_copy(embed_student_root, tmp_path)
    run, student = copy / "run", copy / "run" / "student"
    config = student / "config.yaml"
    out = tmp_path / "p.jsonl"
    args = ["predict", str(run), str(demo_file("QC")), "--out", str(out), "--quiet",
            "--scorer", "student"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    prefix = (f"error: {config}: line {backbone_line(config)}: model.params.backbone "
              f"{str(copy / 'bert')!r}: now resolves to ")
    assert result.output.startswith(prefix), result.output
    assert result.output.endswith(
        f"; put back the weights it was trained on, or train it again on these: `shoprel "
        f"distill {run} --student {config} --out {student} --hard-weight 1 --overwrite`\n"), \
        result.output
    assert not out.exists()
    # pasted as said, the student learns on these weights, where --scorer student reads it
    command = result.output.split("`")[1].split()
    assert command[:2] == ["shoprel", "distill"]
    mended = CliRunner().invoke(main, [*command[1:], "--quiet", "--speed-rows", "0"])
    assert mended.exit_code == 0, mended.output
    scored = CliRunner().invoke(main, args)
    assert scored.exit_code == 0, scored.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 360


def test_a_distilled_run_s_changed_backbone_names_its_distill_again(
        embed_student_root, tmp_path, monkeypatch):
    """A run of its own distilled from a teacher (mix 0.5, nested) whose backbone changed said
    to train its config.yaml again: a model of the labels alone. It names the distill from
    the same teacher with the same mix and refits, which makes a run that scores."""
    from shoprel.models.backbones.cache import CACHE_ENV
    from shoprel.training.distill import distill

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    copy = moved_copy(embed_student_root, tmp_path, flip=False)
    teacher, distilled = copy / "run", copy / "distilled"
    distill(teacher, teacher / "student" / "config.yaml", distilled, 0.5, progress=False,
            speed_rows=0, nested=True)
    weights = copy / "bert" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    config = distilled / "config.yaml"
    out = tmp_path / "p.jsonl"
    result = CliRunner().invoke(main, ["predict", str(distilled), str(demo_file("QC")),
                                       "--out", str(out), "--quiet"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {config}: line {backbone_line(config)}: "
                                    "model.params.backbone "), result.output
    assert result.output.endswith(
        f"train it again on these: `shoprel distill {teacher.resolve()} --student {config} "
        "--out NEW_RUN --hard-weight 0.5 --nested`\n"), result.output
    command = result.output.split("`")[1].split()
    command[command.index("NEW_RUN")] = str(tmp_path / "new")
    mended = CliRunner().invoke(main, [*command[1:], "--quiet", "--speed-rows", "0"])
    assert mended.exit_code == 0, mended.output
    scored = CliRunner().invoke(main, ["predict", str(tmp_path / "new"),
                                       str(demo_file("QC")), "--out", str(out), "--quiet"])
    assert scored.exit_code == 0, scored.output


def test_distill_nested_refuses_to_refit_an_embedding_teacher_whose_backbone_changed(
        embed_run, tmp_path, monkeypatch):
    """The nested refits of an embedding teacher resolved its backbone anew and fitted on
    whatever weights were there: one byte changed, distill finished, its student learning from
    refits of another teacher than the one its block records. Before the first refit it is
    refused, at the teacher's config line, as predict refuses the teacher; nothing is fitted
    nor written."""
    copy, bert, line, trained, now = changed_backbone_copy(embed_run, tmp_path)
    assert_nested_distill_refused(copy, changed_line(copy / "config.yaml", line, bert, now,
                                                     trained), tmp_path, monkeypatch)


def counted_fits(monkeypatch) -> list:
    """The arguments of every model runner.new_model makes from now on (a fit's model)."""
    from shoprel.training import runner

    fits = []
    new_model = runner.new_model
    monkeypatch.setattr(runner, "new_model", lambda *args: fits.append(args) or new_model(*args))
    return fits


def fast_student(tmp_path):
    """A small fast-family student config for distill."""
    student = tmp_path / "student.yaml"
    student.write_text("model:\n  family: fast\n  params: {n_estimators: 10, n_jobs: 1}\n",
                       encoding="utf-8")
    return student


def assert_nested_distill_refused(teacher, said, tmp_path, monkeypatch):
    """`distill TEACHER --nested` of a fast student exits 2 saying `said` in one line, before
    any fit (runner.new_model never called) and with nothing written at --out."""
    fits = counted_fits(monkeypatch)
    student = fast_student(tmp_path)
    out = tmp_path / "student"
    result = CliRunner().invoke(main, ["distill", str(teacher), "--student", str(student),
                                       "--nested", "--speed-rows", "0", "--out", str(out),
                                       "--quiet"])
    assert result.exit_code == 2, result.output
    assert result.output == f"error: {said}\n"
    assert fits == [] and not out.exists()


@pytest.fixture(scope="module", params=["cross", "llm"])
def finetuned_run(request, tmp_path_factory, tiny_backbone):
    """(a small 3-fold QC run of a fine-tuned family on a tiny random local backbone, the
    name of the backbone folder beside it): the families whose saved weights score without
    the backbone, but whose refits start from it."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tests.models.builders import demo_texts, tiny_decoder

    from shoprel.models.backbones.cache import CACHE_ENV
    from shoprel.training.config_reading import load_config
    from shoprel.training.runner import train

    family = request.param
    root = tmp_path_factory.mktemp(f"{family}-run")
    if family == "cross":
        name = "bert"
        backbone = tiny_backbone(root / name, [*demo_texts(), " - "])
        params = {"max_length": 48, "batch_size": 16, "max_steps": 4, "learning_rate": 1e-3}
    else:
        name = "gemma"
        backbone = tiny_decoder(root / name, "gemma3")
        params = {"max_length": 40, "batch_size": 8, "max_steps": 2, "learning_rate": 1e-2}
    params.update(backbone=str(backbone), cache_dir=str(root / "cache"), n_threads=1,
                  save_steps=1000)
    config = load_config(None, {"folds.k": 3, "model.family": family, "student": None,
                                **{f"model.params.{k}": v for k, v in params.items()}})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(root / "cache"))
        return train(demo_file("QC"), root / "run", config, progress=False).run_dir, name


def test_distill_nested_refuses_to_refit_a_fine_tuned_teacher_whose_backbone_changed(
        finetuned_run, tmp_path, monkeypatch):
    """A cross-encoder or LLM teacher scores from its own saved weights, but its nested refits
    start from the backbone folder: one byte of it changed, distill --nested refitted the
    teacher on those other weights and wrote a student whose block records the teacher it
    was not (an LLM teacher was refused only by the speed comparison, after the student was
    written). Before the first refit it is refused, at the teacher's config line, as an
    embedding teacher is; nothing is fitted nor written. The weights it was trained on pass."""
    from shoprel.run.folder import Run

    run, name = finetuned_run
    Run.open(run).check_backbones()  # unchanged: nothing to refuse
    copy, bert, line, trained, now = changed_backbone_copy(run, tmp_path, name)
    assert_nested_distill_refused(copy, changed_line(copy / "config.yaml", line, bert, now,
                                                     trained), tmp_path, monkeypatch)


def test_index_refuses_a_changed_backbone_at_the_run_s_config_line(embed_run, tmp_path):
    """`shoprel index RUN --out DIR` on a run whose backbone changed said the bare
    `model.params.backbone '...': now resolves to ..., but the model was trained on ...; put
    back the weights it was trained on, or train it again on these`, no config line nor what
    to train. It says predict's line, before any folder is made; predict given an index built
    on the weights it was trained on says it too."""
    built = tmp_path / "built"
    done = CliRunner().invoke(main, ["index", str(embed_run), str(demo_file("QC")), "--out",
                                     str(built), "--quiet"])
    assert done.exit_code == 0, done.output
    copy, bert, line, trained, now = changed_backbone_copy(embed_run, tmp_path)
    config = copy / "config.yaml"
    said = f"error: {changed_line(config, line, bert, now, trained)}\n"
    for out in (tmp_path / "index", copy / "index"):  # elsewhere, and the run's own
        args = ["--out", str(out)] if out.parent == tmp_path else []
        result = CliRunner().invoke(main, ["index", str(copy), str(demo_file("QC")), *args,
                                           "--quiet"])
        assert result.exit_code == 2, result.output
        assert result.output == said
        assert not out.exists()
    predicted = tmp_path / "p.jsonl"
    result = CliRunner().invoke(main, ["predict", str(copy), str(demo_file("QC")), "--index",
                                       str(built), "--out", str(predicted), "--quiet"])
    assert result.exit_code == 2, result.output
    assert result.output == said and not predicted.exists()


def test_predict_names_the_config_line_of_an_llm_run_whose_backbone_changed(
        finetuned_run, tmp_path):
    """An LLM run loads its adapter onto the backbone, which it checks as it loads: predict
    said the bare `model.params.backbone '...': now resolves to ...` (no config line, no
    command), as a broken model folder's line. It says the embedding run's line. A
    cross-encoder scores from the weights it saved, so its changed backbone is no matter."""
    run, name = finetuned_run
    copy, bert, line, trained, now = changed_backbone_copy(run, tmp_path, name)
    config = copy / "config.yaml"
    out = tmp_path / "p.jsonl"
    result = CliRunner().invoke(main, ["predict", str(copy), str(demo_file("QC")), "--out",
                                       str(out), "--quiet"])
    if name == "bert":  # the cross-encoder
        assert result.exit_code == 0, result.output
        assert len(out.read_text(encoding="utf-8").splitlines()) == 360
        return
    assert result.exit_code == 2, result.output
    said = changed_line(config, line, bert, now, trained).replace(
        "the model was", f"the model in {copy / 'models' / 'full'} was")
    assert result.output == f"error: {said}\n"
    assert not out.exists()


def test_plain_distill_of_a_teacher_that_cannot_score_now_writes_its_student_untimed(
        finetuned_run, tmp_path, monkeypatch):
    """Plain distill (no --nested) of an LLM teacher whose backbone changed trained and wrote
    the student from the teacher's OOF table, then failed at the speed comparison, which loads
    the teacher: exit 2 after the work, no speed figures. The student needs only the OOF
    table, written when the teacher was trained: it is written as with --speed-rows 0 (the
    same OOF probabilities), exit 0, and one warning line says why the speeds are not
    compared. A cross-encoder teacher scores from its own saved weights: it is timed."""
    import json

    import pandas as pd


    run, name = finetuned_run
    copy, bert, line, trained, now = changed_backbone_copy(run, tmp_path, name)
    student = fast_student(tmp_path)
    fits = counted_fits(monkeypatch)
    out, untimed = tmp_path / "student", tmp_path / "untimed"
    base = ["distill", str(copy), "--student", str(student), "--quiet"]
    result = CliRunner().invoke(main, [*base, "--out", str(out), "--speed-rows", "50"])
    assert result.exit_code == 0, result.output
    block = json.loads((out / "metrics.json").read_text(encoding="utf-8"))["distillation"]
    if name == "bert":  # the cross-encoder
        assert block["speed"]["teacher"]["rows"] == 50 and "speed_skipped" not in block
        assert "warning" not in result.output
        return
    config = copy / "config.yaml"
    reason = f"the teacher cannot score now: {changed_line(config, line, bert, now, trained)}"
    assert "speed" not in block and block["speed_skipped"] == reason
    assert f"warning: scoring speeds not compared, {reason}\n" in result.output
    assert len(fits) == 4  # 3 folds and the final fit: the student, and nothing of the teacher
    done = CliRunner().invoke(main, [*base, "--out", str(untimed), "--speed-rows", "0"])
    assert done.exit_code == 0, done.output
    assert "warning" not in done.output
    timed = pd.read_parquet(out / "oof.parquet")
    plain = pd.read_parquet(untimed / "oof.parquet")
    assert timed["probability"].tolist() == plain["probability"].tolist()


def test_distill_unlabeled_refuses_a_teacher_that_cannot_score_now_and_writes_nothing(
        finetuned_run, tmp_path, monkeypatch):
    """--unlabeled pairs are the teacher's scores: an LLM teacher whose backbone changed cannot
    give them, speed comparison or not. It is refused before the student's fits, at the
    teacher's config line as predict refuses it, and no student folder is left; a
    cross-encoder teacher, which scores from its own saved weights, still scores them."""
    import json


    run, name = finetuned_run
    copy, bert, line, trained, now = changed_backbone_copy(run, tmp_path, name)
    fits = counted_fits(monkeypatch)
    student = fast_student(tmp_path)
    pairs = tmp_path / "pairs.jsonl"  # pairs of new queries: none is a training pair
    rows = [json.loads(row) for row in
            demo_file("QC").read_text(encoding="utf-8").splitlines()[:20]]
    pairs.write_text("".join(json.dumps({**row, "id": f"u{row['id']}", "label": None,
                                         "origin_query": f"{row['origin_query']} neu"}) + "\n"
                             for row in rows), encoding="utf-8")
    out = tmp_path / "student"
    result = CliRunner().invoke(main, ["distill", str(copy), "--student", str(student),
                                       "--unlabeled", str(pairs), "--out", str(out),
                                       "--speed-rows", "50", "--quiet"])
    if name == "bert":
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2, result.output
    said = changed_line(copy / "config.yaml", line, bert, now, trained).replace(
        "the model was", f"the model in {copy / 'models' / 'full'} was")
    assert result.output == f"error: {said}\n"
    assert fits == [] and not out.exists()
