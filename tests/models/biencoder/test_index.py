"""A tuned bi-encoder's targets indexed ahead: same scores, only queries through the encoder,
and an index of other tuned weights is never read."""

import json

import numpy as np
import pytest
from tests.conftest import reports_deferred

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from shoprel.data.readers import read_pairs  # noqa: E402
from shoprel.models.biencoder.indexing import KIND, index_slug, target_indexes  # noqa: E402
from shoprel.predict.index import build_index  # noqa: E402
from shoprel.predict.predictor import Predictor  # noqa: E402
from shoprel.training import runner  # noqa: E402
from shoprel.training.config_reading import load_config  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def bi_run(tmp_path_factory, tiny_bert, model_cache):
    from shoprel.demo import demo_file

    folder = tmp_path_factory.mktemp("bi-run")
    params = {"backbone": tiny_bert, "cache_dir": model_cache, "max_steps": 4, "eval_steps": 2,
              "tuned_layers": 1, "max_length": 48, "n_threads": 1, "learning_rate": 1e-3}
    config = load_config(None, {"folds.k": 2, "model.family": "biencoder",
                                **{f"model.params.{k}": v for k, v in params.items()}})
    with reports_deferred():  # no test here reads its report
        return runner.train(demo_file("QC"), folder / "run", config, progress=False).run_dir


@pytest.fixture
def new_pairs(tmp_path):
    from shoprel.demo import demo_file

    frame = read_pairs(demo_file("QC")).take(range(40))
    path = tmp_path / "new.jsonl"
    path.write_text("".join(json.dumps({"id": r.id, "language": r.language,
                                        "origin_query": r.query,
                                        "category_path": f"{r.target},new level"}) + "\n"
                            for r in frame.df.itertuples()), encoding="utf-8")
    return path


def test_indexed_targets_score_the_same_and_only_queries_are_encoded(bi_run, new_pairs,
                                                                     tmp_path):
    frame = read_pairs(new_pairs)
    plain_predictor = Predictor(bi_run)
    plain = plain_predictor.probabilities(frame)
    assert plain_predictor.embedding_counts().get("index", 0) == 0

    out = tmp_path / "index"
    result = build_index(bi_run, new_pairs, out=out, progress=False)
    assert result.added == frame.df["target"].nunique() and result.indexed_models == 1
    assert build_index(bi_run, new_pairs, out=out, progress=False).added == 0

    predictor = Predictor(bi_run, indexes=[out])
    indexed = predictor.probabilities(frame)
    counts = predictor.embedding_counts()
    assert counts["index"] == frame.df["target"].nunique()
    assert counts["encoded"] == frame.df["query"].nunique()
    np.testing.assert_allclose(indexed, plain, atol=1e-5, rtol=0)

    model = predictor.models[0]
    assert (out / index_slug(model.weights_digest())).is_dir()
    texts = [text for _, text in model.index_texts(frame.df["target"].unique().tolist())]
    (index,) = target_indexes([out], model.weights_digest())
    assert len(index.lookup(KIND, texts)) == len(texts)
    assert target_indexes([out], "0" * 64) == []  # another tuned model's digest


def test_the_bar_moves_while_a_part_is_embedded(bi_run, new_pairs, tmp_path, bar_updates,
                                                capfd):
    """The tuned targets had no bar of their own: the indexing bar moved only once a part
    (up to 4,096 texts) was embedded. progress=False draws none."""
    result = build_index(bi_run, new_pairs, out=tmp_path / "ix", progress=True)
    first_part = next(i for i, (desc, n, _) in enumerate(bar_updates)
                      if desc == "indexing" and n > 0)
    embedding = bar_updates[:first_part]
    assert embedding and {desc for desc, _, _ in embedding} == {"embedding targets"}
    assert sum(n for _, n, _ in embedding) == result.added
    assert {total for _, _, total in embedding} == {result.added}
    assert bar_updates[first_part] == ("indexing", 40, 40)
    capfd.readouterr()

    bar_updates.clear()
    build_index(bi_run, new_pairs, out=tmp_path / "ix-quiet", progress=False)
    assert bar_updates == [] and capfd.readouterr() == ("", "")


def test_the_run_carries_its_training_targets_vectors(bi_run, tmp_path):
    import shutil

    from shoprel.demo import demo_file
    from shoprel.models.backbones.target_index import OWN_TARGETS_FOLDER

    frame = read_pairs(demo_file("QC")).take(range(60))
    assert (bi_run / "models" / "full" / OWN_TARGETS_FOLDER).is_dir()
    predictor = Predictor(bi_run)
    carried = predictor.probabilities(frame)
    counts = predictor.embedding_counts()
    assert counts["index"] == frame.df["target"].nunique()
    assert counts["encoded"] == frame.df["query"].nunique()

    bare = tmp_path / "bare"
    shutil.copytree(bi_run, bare)
    for own in (bare / "models").glob(f"*/{OWN_TARGETS_FOLDER}"):
        shutil.rmtree(own)
    plain_predictor = Predictor(bare)
    np.testing.assert_allclose(carried, plain_predictor.probabilities(frame), atol=1e-5, rtol=0)
    assert plain_predictor.embedding_counts().get("index", 0) == 0


def test_a_loaded_model_saved_again_keeps_its_training_targets_vectors(bi_run, tmp_path):
    from shoprel.models.backbones.target_index import OWN_TARGETS_FOLDER
    from shoprel.models.biencoder.model import BiEncoderModel

    model = BiEncoderModel.load(bi_run / "models" / "full")
    out = model.save(tmp_path / "copy")
    original = sorted(p.relative_to(bi_run / "models" / "full")
                      for p in (bi_run / "models" / "full" / OWN_TARGETS_FOLDER).rglob("*"))
    assert original and sorted(p.relative_to(out) for p in
                               (out / OWN_TARGETS_FOLDER).rglob("*")) == original


def test_an_index_of_another_tuned_run_is_refused_by_name(bi_run, new_pairs, tmp_path,
                                                          tiny_bert, model_cache):
    """--index holding another tuned bi-encoder's vectors (same backbone, other weights) was
    silently unused: every target went through the encoder with no word of why. It is refused
    as an embedding model refuses an index of another backbone."""
    from shoprel.demo import demo_file
    from shoprel.errors import ConfigError
    from shoprel.predict.predictor import open_predictor, predict_file

    params = {"backbone": tiny_bert, "cache_dir": model_cache, "max_steps": 2, "eval_steps": 2,
              "tuned_layers": 1, "max_length": 48, "n_threads": 1, "learning_rate": 3e-3,
              "eval_fraction": 0}  # no hold-out: the best weights are not the start
    config = load_config(None, {"folds.k": 2, "model.family": "biencoder",
                                **{f"model.params.{k}": v for k, v in params.items()}})
    other_run = runner.train(demo_file("QC"), tmp_path / "other-run", config,
                             progress=False).run_dir
    other, ours = tmp_path / "other", tmp_path / "ours"
    build_index(other_run, new_pairs, out=other, progress=False)
    build_index(bi_run, new_pairs, out=ours, progress=False)
    [other_name] = [p.name for p in other.iterdir() if p.is_dir()]
    [ours_name] = [p.name for p in ours.iterdir() if p.is_dir()]
    assert other_name != ours_name

    with pytest.raises(ConfigError) as err:
        predict_file(bi_run, new_pairs, tmp_path / "pred.jsonl", indexes=[other],
                     progress=False)
    message = str(err.value)
    assert message.startswith(f"--index {other}: holds embeddings of {other_name}, none of "
                              f"them of this run's tuned model ({ours_name} as the run was "
                              "trained); build one with `shoprel index")
    assert "\n" not in message and not (tmp_path / "pred.jsonl").exists()
    open_predictor(bi_run, [ours])  # its own tuned weights' index is taken
    with pytest.raises(ConfigError, match=f"holds embeddings of {other_name}"):
        open_predictor(bi_run, [ours, other])


def test_a_rerun_with_nothing_new_loads_no_tuned_encoder(bi_run, new_pairs, tmp_path,
                                                         monkeypatch):
    """The index folder is named by the tuned weights' digest, read from their file: a rerun
    over indexed targets loads no encoder, and names the same folder the loaded weights do."""
    from shoprel.models.biencoder.model import BiEncoderModel

    out = tmp_path / "ix"
    first = build_index(bi_run, new_pairs, out=out, progress=False)
    loaded = Predictor(bi_run).models[0]
    from_file = loaded.weights_digest()
    loaded.tuned_parts()
    loaded.__dict__.pop("_digest")
    assert loaded.weights_digest() == from_file  # the same digest from the loaded tensors

    def no_encoder(*args, **kwargs):
        raise AssertionError("the encoder was loaded")

    monkeypatch.setattr(BiEncoderModel, "torch_parts", no_encoder)
    again = build_index(bi_run, new_pairs, out=out, progress=False)
    assert (again.targets, again.added) == (first.targets, 0)
    more = tmp_path / "more.txt"
    more.write_text("a category never indexed\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="the encoder was loaded"):
        build_index(bi_run, more, out=out, progress=False)


def test_predict_draws_the_tuned_encoder_s_bar_and_quiet_draws_none(bi_run, tmp_path,
                                                                    bar_updates, monkeypatch):
    """A loaded bi-encoder ran a file's new texts through its encoder with no bar (the embed
    family draws its encoder's): predict's scoring bar of a one-chunk file moved only at the
    end. It is drawn now as the embed family's is, every new text counted, on stderr; under
    --quiet nothing is."""
    from click.testing import CliRunner

    from shoprel.cli import main
    from shoprel.demo import demo_file
    from shoprel.utils import progress

    frame = read_pairs(demo_file("QC")).take(range(50))
    data = tmp_path / "new-queries.jsonl"  # queries no fit of this process kept states of
    data.write_text("".join(json.dumps({"id": r.id, "language": r.language,
                                        "origin_query": f"{r.query} {r.id}",
                                        "category_path": r.target}) + "\n"
                            for r in frame.df.itertuples()), encoding="utf-8")
    monkeypatch.setattr(progress, "EAGER_DELAY", 0.0)  # the tiny encoder's pass "lasts"
    monkeypatch.setenv("COLUMNS", "200")
    shown = CliRunner().invoke(main, ["predict", str(bi_run), str(data), "--out",
                                      str(tmp_path / "pred.jsonl")])
    assert shown.exit_code == 0, shown.output
    assert sum(n for desc, n, _ in bar_updates if desc == "embedding queries") == 50
    assert "embedding queries: 50/50 [" in shown.stderr
    bar_updates.clear()
    quiet = CliRunner().invoke(main, ["predict", str(bi_run), str(data), "--out",
                                      str(tmp_path / "quiet.jsonl"), "--quiet"])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr == "" and bar_updates == []
    assert (tmp_path / "quiet.jsonl").read_bytes() == (tmp_path / "pred.jsonl").read_bytes()
