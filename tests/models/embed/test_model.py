"""The embedding model on the demo set, with a tiny random local backbone so it runs in seconds."""

import json
import threading

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from sklearn.metrics import roc_auc_score  # noqa: E402

from shoprel.data.category import split_levels  # noqa: E402
from shoprel.data.frame import PairFrame  # noqa: E402
from shoprel.data.readers import read_pairs  # noqa: E402
from shoprel.errors import ConfigError, RunDirError  # noqa: E402
from shoprel.models.backbones import Encoder  # noqa: E402
from shoprel.models.base import RelevanceModel, validate_params  # noqa: E402
from shoprel.models.embed.model import EmbedModel, without_lexical  # noqa: E402
from shoprel.models.embed.pair_features import (  # noqa: E402
    LEVELS,
    level_similarity,
    query_context,
    raw_pair,
)
from shoprel.models.registry import model_class  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")

@pytest.fixture(scope="module")
def backbone(tiny_bert):
    return tiny_bert


class _Calls(list):
    loads = 0


@pytest.fixture
def count_encoded(monkeypatch):
    """Records the texts that actually go through an encoder (and how often one is loaded)."""
    seen = _Calls()
    encode, init = Encoder.encode, Encoder.__init__

    def counting_encode(self, texts, kind="query"):
        seen.extend((kind, t) for t in texts)
        return encode(self, texts, kind=kind)

    def counting_init(self, *args, **kwargs):
        seen.loads += 1
        init(self, *args, **kwargs)

    monkeypatch.setattr(Encoder, "encode", counting_encode)
    monkeypatch.setattr(Encoder, "__init__", counting_init)
    return seen


@pytest.fixture(scope="module")
def small(small_model):
    """small(cache, **params) -> an unfitted tiny embed model with its own cache folder."""
    return lambda cache, **params: small_model("embed", cache_dir=str(cache), **params)


def test_a_model_with_its_own_cache_remembers_its_checksums_there(tmp_path, small, tiny_bert,
                                                                  monkeypatch):
    """Resolving a backbone folder wrote its weights' checksums into the default cache's memo
    ($SHOPREL_CACHE, else ~/.cache/shoprel) even with `cache_dir` set; now into cache_dir."""
    from shoprel.models.backbones.cache import CACHE_ENV, CHECKSUMS_FILE

    default = tmp_path / "default"
    monkeypatch.setenv(CACHE_ENV, str(default))
    backbone = small(tmp_path / "own").resolved()[0]
    memo = json.loads((tmp_path / "own" / CHECKSUMS_FILE).read_text())
    assert sorted(memo) == [f"{tiny_bert}/model.safetensors"]
    assert backbone.fingerprint.startswith("sha256:")
    assert not default.exists()


def test_raw_pair_features():
    q = np.array([[1.0, 0.0], [0.6, 0.8]], dtype=np.float32)
    t = np.array([[0.0, 1.0], [0.6, 0.8]], dtype=np.float32)
    features = raw_pair(q, t)
    assert features.shape == (2, 4 * 2)
    np.testing.assert_allclose(features[0, 4:6], [0.0, 0.0])  # q * t
    np.testing.assert_allclose(features[0, 6:8], [1.0, 1.0])  # |q - t|
    np.testing.assert_allclose(raw_pair(q, t, "product"), q * t)  # the default's block


@pytest.mark.parametrize(("raw", "per_dim"), [(True, 4), ("product", 1)])
def test_the_raw_block_s_width_is_saved_and_loaded_with_its_model(tmp_path, qc_frame, small,
                                                                  raw, per_dim):
    rows = qc_frame.take(np.arange(120))
    model = small(tmp_path / "cache", raw_embeddings=raw).fit(rows)
    dim = model.votes_.q_.shape[1]
    assert model.scoring_blocks(rows)["raw0"].shape == (len(rows), per_dim * dim)
    proba = model.predict_proba(rows)
    config = json.loads((model.save(tmp_path / "saved") / "model.json").read_text())
    assert config["params"]["raw_embeddings"] == raw
    assert config["state"]["blocks"]["raw0"] == per_dim * dim
    loaded = RelevanceModel.load(tmp_path / "saved")
    assert loaded.scoring_blocks(rows)["raw0"].shape == (len(rows), per_dim * dim)
    np.testing.assert_array_equal(loaded.predict_proba(rows), proba)


def test_raw_embeddings_takes_true_false_or_product_only():
    assert validate_params("embed", {"raw_embeddings": "product"})["raw_embeddings"] == "product"
    for value in ("all", "true", 1):
        with pytest.raises(ConfigError, match="expected true or false or 'product'"):
            validate_params("embed", {"raw_embeddings": value})


def test_level_similarity_scores_each_level_and_the_leaf():
    vectors = {"a": [1.0, 0.0], "b": [0.0, 1.0], "c, d": [0.6, 0.8]}
    q = np.array([[1.0, 0.0], [0.0, 1.0]])
    out = level_similarity(q, ["a,b,c, d", "b"],
                           lambda names: np.array([vectors[n] for n in names]))
    assert out.shape == (2, LEVELS + 2)
    np.testing.assert_allclose(out[0, :3], [1.0, 0.0, 0.6])  # "c, d" is one level
    assert np.isnan(out[0, 3]) and np.isnan(out[1, 1:LEVELS]).all()
    np.testing.assert_allclose(out[:, LEVELS], [0.6, 1.0])  # the leaf
    np.testing.assert_allclose(out[:, LEVELS + 1], [1.0, 1.0])  # the best level


def test_query_context_ranks_candidates_of_the_same_query():
    out = query_context(["Shoes", "shoes ", "bag"], np.array([0.2, 0.5, 0.9]))
    np.testing.assert_allclose(out[:, 0], [2, 2, 1])  # candidates per query
    np.testing.assert_allclose(out[:, 1], [-0.3, 0.0, 0.0])  # gap to the best
    np.testing.assert_allclose(out[:, 3], [0.5, 1.0, 1.0])  # rank fraction


def test_family_is_registered():
    assert model_class("embed") is EmbedModel
    params = validate_params("embed", {"backbone": "e5-small", "n_estimators": 10})
    assert params["n_estimators"] == 10 and params["linear_weight"] == 0.0
    with pytest.raises(ConfigError, match="model.params.bogus: unknown key"):
        validate_params("embed", {"bogus": 1})


def test_train_save_load_same_probabilities(tmp_path, qc_frame, count_encoded, small):
    # the linear score mixed in (fitted on every row) makes it fit its own demo rows; the
    # booster alone learns little from 360 rows and a random backbone
    model = small(tmp_path / "cache", linear_weight=0.3).fit(qc_frame)
    proba = model.predict_proba(qc_frame)
    assert proba.shape == (len(qc_frame), 2)
    assert np.allclose(proba.sum(axis=1), 1.0) and ((proba >= 0) & (proba <= 1)).all()
    assert roc_auc_score(qc_frame.labels, proba[:, 1]) > 0.8  # it fits its own rows

    folder = model.save(tmp_path / "saved")
    assert sorted(p.name for p in folder.iterdir()) == [
        "index", "learned_similarity.safetensors", "lexical", "lightgbm.2.txt", "lightgbm.3.txt",
        "lightgbm.txt", "model.json", "neighbours.safetensors", "node_profiles.json",
        "node_profiles.safetensors", "target_rank.safetensors"]
    assert not list(folder.rglob("*.pkl"))
    config = json.loads((folder / "model.json").read_text())
    assert config["family"] == "embed"
    assert config["state"]["fingerprints"][0].startswith("sha256:")

    loaded = RelevanceModel.load(folder)
    assert isinstance(loaded, EmbedModel)
    np.testing.assert_array_equal(loaded.predict_proba(qc_frame), proba)
    assert loaded.texts_embedded_ == 0  # everything came from the cache


def test_a_model_saved_in_the_older_larger_layout_scores_as_one_saved_now(tmp_path, qi_frame,
                                                                          small):
    """Saved now: the lexical weights that are set, each distinct neighbour query vector once
    and the target vectors as places among the target rank's. A folder written as older
    releases wrote it (every weight, one vector per row) loads and scores bit for bit as the
    new one, which takes less room."""
    from safetensors.numpy import load_file, save_file

    model = small(tmp_path / "cache").fit(qi_frame)
    proba = model.predict_proba(qi_frame)
    folder = model.save(tmp_path / "saved")
    now = RelevanceModel.load(folder).predict_proba(qi_frame)
    assert now.tobytes() == proba.tobytes()
    # the votes' target vectors are places among the target rank's, which are saved anyway
    saved = load_file(str(folder / "neighbours.safetensors"))
    assert sorted(saved) == ["neighbour_labels", "neighbour_q_distinct", "neighbour_q_place",
                             "neighbour_t_place"]

    linear, votes = folder / "lexical" / "linear.safetensors", folder / "neighbours.safetensors"
    sizes = [linear.stat().st_size, votes.stat().st_size]
    save_file({"coef": model.lexical_.coef_}, str(linear))
    save_file({"neighbour_q": model.votes_.q_, "neighbour_t": model.votes_.t_,
               "neighbour_labels": model.votes_.labels_}, str(votes))
    assert sorted(load_file(str(votes))) == ["neighbour_labels", "neighbour_q", "neighbour_t"]
    assert RelevanceModel.load(folder).predict_proba(qi_frame).tobytes() == proba.tobytes()
    queries, rows = qi_frame.df["query"].nunique(), len(qi_frame)
    assert sizes[0] < 0.5 * linear.stat().st_size
    # the query vectors of distinct queries, and a 4-byte place or label per row for the rest
    assert sizes[1] < queries / rows * votes.stat().st_size / 2 + 3 * 4 * rows + 1024


def _distinct_texts(frame) -> int:
    """Queries, plus targets and category level names (both passages, so shared texts once)."""
    levels = {level for path in frame.df["target"] for level in split_levels(path)}
    return frame.df["query"].nunique() + len(set(frame.df["target"]) | levels)


def test_each_distinct_text_is_embedded_once(tmp_path, qc_frame, count_encoded, small):
    first = small(tmp_path / "cache").fit(qc_frame)
    expected = _distinct_texts(qc_frame)
    assert first.texts_embedded_ == len(count_encoded) == expected
    assert count_encoded.loads == 1
    assert {kind for kind, _ in count_encoded} == {"query", "passage"}

    count_encoded.clear()
    second = small(tmp_path / "cache", seed=7).fit(qc_frame)
    second.predict_proba(qc_frame)
    assert second.texts_embedded_ == 0 and count_encoded == []
    assert count_encoded.loads == 1  # the backbone was not even loaded again

    count_encoded.clear()
    half = qc_frame.take(np.arange(len(qc_frame) // 2))
    small(tmp_path / "other-cache").fit(half)
    assert len(count_encoded) == _distinct_texts(half)


def test_changed_backbone_weights_are_refused(tmp_path, qc_frame, tiny_backbone, small):
    texts = [*qc_frame.df["query"], *qc_frame.df["target"]]
    folder = tiny_backbone(tmp_path / "bert", texts, seed=0)
    rows = qc_frame.take(np.arange(120))
    saved = small(tmp_path / "cache", backbone=str(folder)).fit(rows).save(tmp_path / "model")
    tiny_backbone(folder, texts, seed=1)  # someone retrains the backbone in place
    with pytest.raises(ConfigError, match="was trained on sha256:"):
        RelevanceModel.load(saved).predict_proba(rows)


def test_wrong_task_is_refused(tmp_path, qc_frame, small):
    from shoprel.demo import demo_file

    model = small(tmp_path / "cache").fit(qc_frame.take(np.arange(120)))
    with pytest.raises(ValueError, match="trained for QC"):
        model.predict_proba(read_pairs(demo_file("QI"), require_label=True))


def test_query_side_reads_the_translation(tmp_path, qc_frame, count_encoded, small):
    rows = qc_frame.take(np.arange(40))
    rows.df["query_en"] = "translated " + rows.df["query"]
    small(tmp_path / "cache").fit(rows)
    queries = {text for kind, text in count_encoded if kind == "query"}
    assert queries == {f"{q} - translated {q}" for q in rows.df["query"]}

    count_encoded.clear()
    small(tmp_path / "cache", use_translation=False).fit(rows)
    assert {text for kind, text in count_encoded if kind == "query"} == set(rows.df["query"])


def test_saved_model_scores_its_training_targets_from_its_index(tmp_path, qc_frame,
                                                                count_encoded, small):
    model = small(tmp_path / "cache").fit(qc_frame)
    folder = model.save(tmp_path / "saved")
    # Another machine: an empty embedding cache. Only the queries need an encoder there.
    loaded = RelevanceModel.load(folder)
    loaded.cache_dir = str(tmp_path / "empty-cache")
    count_encoded.clear()
    indexed = loaded.predict_proba(qc_frame)
    assert {kind for kind, _ in count_encoded} == {"query"}
    assert loaded.embedding_counts_["index"] == len(set(loaded.index_texts(
        list(qc_frame.df["target"]))))

    plain = RelevanceModel.load(folder)
    plain.cache_dir, plain.index_dirs_ = str(tmp_path / "other-empty-cache"), []
    np.testing.assert_allclose(indexed, plain.predict_proba(qc_frame), atol=1e-5, rtol=0)
    np.testing.assert_allclose(indexed, model.predict_proba(qc_frame), atol=1e-5, rtol=0)


def test_recent_texts_are_served_from_memory(tmp_path, qc_frame, count_encoded, small):
    model = small(tmp_path / "cache").fit(qc_frame).keep_recent(10_000)
    first = model.predict_proba(qc_frame)
    before = dict(model.embedding_counts_)
    np.testing.assert_array_equal(model.predict_proba(qc_frame), first)
    assert model.embedding_counts_["disk"] == before.get("disk", 0)  # nothing read from disk
    assert model.embedding_counts_["memory"] > before.get("memory", 0)


def _in_language(frame, language: str, rows: int):
    """The first `rows` rows, tagged with another language."""
    out = frame.take(np.arange(rows))
    out.df["language"] = language
    return out


def test_rows_in_unseen_languages_skip_the_lexical_block(tmp_path, qc_frame, small):
    model = small(tmp_path / "cache", unseen_language_booster=True).fit(qc_frame)
    seen_language = qc_frame.df["language"].iloc[0]
    assert "xx" not in set(qc_frame.df["language"])
    unseen_rows, seen = _in_language(qc_frame, "xx", 30), _in_language(qc_frame, seen_language, 30)
    both = PairFrame(qc_frame.task, pd.concat([unseen_rows.df, seen.df], ignore_index=True))
    np.testing.assert_array_equal(model.unseen_languages(both), [True] * 30 + [False] * 30)

    p = model.predict_proba(both)[:, 1]
    blocks = model.scoring_blocks(unseen_rows)
    unseen = model.unseen_booster_.predict(without_lexical(blocks))
    np.testing.assert_allclose(p[:30], unseen, rtol=0, atol=1e-12)
    assert model.unseen_booster_.num_feature() == sum(
        width for name, width in model.block_widths_.items() if name != "lexical")
    np.testing.assert_array_equal(p[30:], model.predict_proba(seen)[:, 1])  # as before

    loaded = RelevanceModel.load(model.save(tmp_path / "saved"))
    np.testing.assert_array_equal(loaded.predict_proba(both)[:, 1], p)

    off = small(tmp_path / "cache").fit(qc_frame)  # the default
    assert off.unseen_language_booster is False and off.unseen_booster_ is None
    assert not off.unseen_languages(both).any()
    folder = off.save(tmp_path / "off")
    assert not (folder / "lightgbm_unseen_languages.txt").exists()
    assert not RelevanceModel.load(folder).unseen_languages(both).any()


def test_a_withdrawn_code_is_routed_as_its_successor(tmp_path, qc_frame, small, jsonl):
    """Training rows tagged 'he' and a file's rows tagged 'iw' (Hebrew's old code, as Java's
    Locale writes it): the 'iw' rows went to the unseen-language booster, as a language no
    training row had. Both are read 'he' ('he-IL' scored as 'he', as predict maps it), so the
    main booster scores them."""
    from shoprel.predict.languages import frame_as_trained

    trained = qc_frame.take(np.arange(len(qc_frame)))
    trained.df.loc[trained.df["language"] == "ja", "language"] = "he"
    model = small(tmp_path / "cache", unseen_language_booster=True).fit(trained)
    rows = [{"id": i, "language": tag, "origin_query": trained.df["query"].iloc[i],
             "category_path": trained.df["target"].iloc[i]}
            for i, tag in enumerate(["iw", "IW_il", "he", "xx"])]
    read = read_pairs(jsonl(tmp_path / "rows.jsonl", rows))
    scored = frame_as_trained(read, set(model.lexical_.languages_))  # as Predictor does
    np.testing.assert_array_equal(model.unseen_languages(scored), [False, False, False, True])


def test_model_saved_before_the_unseen_language_booster_scores_as_it_did(tmp_path, qc_frame,
                                                                         small):
    folder = small(tmp_path / "cache", unseen_language_booster=True).fit(qc_frame).save(
        tmp_path / "saved")
    config = json.loads((folder / "model.json").read_text())
    unseen_rows = _in_language(qc_frame, "xx", 30)

    (folder / "lightgbm_unseen_languages.txt").unlink()
    with pytest.raises(RunDirError, match="lightgbm_unseen_languages.txt: missing"):
        RelevanceModel.load(folder)

    del config["state"]["unseen_language_booster"]  # as an older release wrote it
    (folder / "model.json").write_text(json.dumps(config))
    old = RelevanceModel.load(folder)
    assert not old.unseen_languages(unseen_rows).any()
    main = old.booster_.predict(np.hstack(list(old.scoring_blocks(unseen_rows).values())))
    linear = old.scoring_blocks(unseen_rows)["lexical"][:, 0]
    np.testing.assert_allclose(old.predict_proba(unseen_rows)[:, 1],
                               old.linear_weight * linear + (1 - old.linear_weight) * main,
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize(("block", "file", "frame_name"), [
    ("target_rank", "target_rank.safetensors", "qc_frame"),
    ("node_profiles", "node_profiles.safetensors", "qc_frame"),
    ("word_match", "word_match.json", "qi_frame")])
def test_model_saved_before_a_block_existed_scores_as_it_did(tmp_path, small, request, block,
                                                             file, frame_name):
    frame = request.getfixturevalue(frame_name)
    old = small(tmp_path / "cache", **{block: False}).fit(frame)
    proba = old.predict_proba(frame)
    folder = old.save(tmp_path / "saved")
    assert not (folder / file).exists()
    config = json.loads((folder / "model.json").read_text())
    del config["params"][block]  # as an older release wrote it: the default is on now
    (folder / "model.json").write_text(json.dumps(config))
    loaded = RelevanceModel.load(folder)
    assert getattr(loaded, block) is False and block not in loaded.scoring_blocks(frame)
    np.testing.assert_array_equal(loaded.predict_proba(frame), proba)


def test_target_rank_block_compares_with_the_training_targets(tmp_path, qc_frame, small):
    model = small(tmp_path / "cache").fit(qc_frame)
    assert len(model.ranks_.keys_) == qc_frame.df["target"].nunique()
    rows = qc_frame.take(np.arange(20))
    block = model.scoring_blocks(rows)["target_rank"]
    assert block.shape == (20, 5) and not np.isnan(block).any()
    folder = model.save(tmp_path / "saved")
    (folder / "target_rank.safetensors").unlink()
    with pytest.raises(RunDirError, match="target_rank.safetensors: missing, but the model was "
                                          "fitted with the target_rank block"):
        RelevanceModel.load(folder)


def test_word_match_block_is_for_query_title_pairs(tmp_path, qc_frame, qi_frame, small):
    qc = small(tmp_path / "cache").fit(qc_frame)
    assert qc.word_match_ is None and "word_match" not in qc.scoring_blocks(qc_frame)
    model = small(tmp_path / "cache").fit(qi_frame)
    assert model.word_match_.documents_ == qi_frame.df["target"].nunique()
    rows = qi_frame.take(np.arange(20))
    block = model.scoring_blocks(rows)["word_match"]
    assert block.shape == (20, 11)
    folder = model.save(tmp_path / "saved")
    assert json.loads((folder / "model.json").read_text())["state"]["blocks"]["word_match"] == 11
    loaded = RelevanceModel.load(folder)
    np.testing.assert_array_equal(loaded.scoring_blocks(rows)["word_match"], block)
    np.testing.assert_array_equal(loaded.predict_proba(qi_frame), model.predict_proba(qi_frame))
    path = folder / "word_match.json"
    path.write_text('{"documents": 3,')
    with pytest.raises(RunDirError, match="word_match.json: not readable JSON"):
        RelevanceModel.load(folder)
    path.unlink()
    with pytest.raises(RunDirError, match="word_match.json: missing, but the model was "
                                          "fitted with the word_match block"):
        RelevanceModel.load(folder)


def test_unseen_language_booster_without_a_lexical_block_is_refused(tmp_path, qc_frame, small):
    folder = small(tmp_path / "cache", lexical=False).fit(qc_frame).save(tmp_path / "saved")
    config = json.loads((folder / "model.json").read_text())
    assert config["state"]["unseen_language_booster"] is False
    config["state"]["unseen_language_booster"] = True
    (folder / "model.json").write_text(json.dumps(config))
    with pytest.raises(RunDirError, match="model.json: field 'state.unseen_language_booster' is "
                                          "true, but the model has no lexical block"):
        RelevanceModel.load(folder)


def test_boosters_of_the_bag_are_averaged_and_saved_beside_each_other(tmp_path, qc_frame,
                                                                       small):
    model = small(tmp_path / "cache", n_boosters=3).fit(qc_frame)
    assert len(model.booster_) == 3
    blocks = np.hstack(list(model.scoring_blocks(qc_frame).values()))
    members = [b.predict(blocks) for b in model.booster_.boosters]
    assert not np.allclose(members[0], members[1])  # the seeds differ
    np.testing.assert_allclose(model.predict_proba(qc_frame)[:, 1], np.mean(members, axis=0),
                               rtol=0, atol=1e-12)
    folder = model.save(tmp_path / "saved")
    assert {p.name for p in folder.glob("lightgbm*.txt")} == {
        "lightgbm.txt", "lightgbm.2.txt", "lightgbm.3.txt"}
    np.testing.assert_array_equal(RelevanceModel.load(folder).predict_proba(qc_frame),
                                  model.predict_proba(qc_frame))
    (folder / "lightgbm.3.txt").unlink()
    with pytest.raises(RunDirError, match=r"lightgbm\.3\.txt: missing, but .*model\.json field "
                                          r"'state\.boosters' says the model averages 3"):
        RelevanceModel.load(folder)


def test_model_saved_before_the_booster_bag_scores_with_its_one_booster(tmp_path, qc_frame,
                                                                         small):
    old = small(tmp_path / "cache", n_boosters=1).fit(qc_frame)
    proba = old.predict_proba(qc_frame)
    folder = old.save(tmp_path / "saved")
    config = json.loads((folder / "model.json").read_text())
    del config["state"]["boosters"]  # as an older release wrote it: the default is 3 now
    del config["params"]["n_boosters"]
    (folder / "model.json").write_text(json.dumps(config))
    loaded = RelevanceModel.load(folder)
    assert loaded.n_boosters == 1 and len(loaded.booster_) == 1
    np.testing.assert_array_equal(loaded.predict_proba(qc_frame), proba)


@pytest.mark.parametrize(("count", "said"), [
    # said "must be a whole number of saved boosters (at least 1), not 0", where an integer
    # option and a config field say utils/bounds.py's sentences
    (0, "0 is out of range; it must be at least 1"),
    (-2, "-2 is out of range; it must be at least 1"),
    ("3", "a text is not a whole number"),
    (1.5, "1.5 is not a whole number"),
    (True, "true is not a whole number"),
])
def test_a_bad_booster_count_is_refused_naming_the_field(tmp_path, qc_frame, small, count,
                                                         said):
    folder = small(tmp_path / "cache", n_boosters=1).fit(qc_frame).save(tmp_path / "saved")
    config = json.loads((folder / "model.json").read_text())
    config["state"]["boosters"] = count
    (folder / "model.json").write_text(json.dumps(config))
    with pytest.raises(RunDirError) as info:
        RelevanceModel.load(folder)
    assert str(info.value) == (f"{folder / 'model.json'}: field 'state.boosters' (how many "
                               f"boosters were saved): {said}")


@pytest.mark.parametrize("setting", ["query", "task"])
def test_neighbour_votes_of_fitted_rows_come_from_other_queries(tmp_path, qc_frame, small,
                                                                monkeypatch, setting):
    from shoprel.folds.grouped import fold_groups, query_groups
    from shoprel.models.embed.neighbours import NeighbourVotes

    seen = []
    oof_transform = NeighbourVotes.oof_transform

    def recording(self, q, t, labels, groups, inner_folds, seed):
        seen.append(groups)
        return oof_transform(self, q, t, labels, groups, inner_folds, seed)

    monkeypatch.setattr(NeighbourVotes, "oof_transform", recording)
    small(tmp_path / "cache", neighbour_groups=setting).fit(qc_frame)
    expected = query_groups(qc_frame) if setting == "query" else fold_groups(qc_frame, 3)
    assert len(seen) == 1 and seen[0].tolist() == expected.tolist()
    assert query_groups(qc_frame).tolist() != fold_groups(qc_frame, 3).tolist()  # they differ


def test_node_profiles_block_is_saved_and_scored_alike(tmp_path, qc_frame, qi_frame, small):
    model = small(tmp_path / "cache").fit(qc_frame)  # on by default
    rows = qc_frame.take(np.arange(20))
    block = model.scoring_blocks(rows)["node_profiles"]
    assert block.shape == (20, 8) and not np.isnan(block[:, 0]).all()
    folder = model.save(tmp_path / "saved")
    assert json.loads((folder / "model.json").read_text())["state"]["blocks"]["node_profiles"] == 8
    loaded = RelevanceModel.load(folder)
    np.testing.assert_array_equal(loaded.scoring_blocks(rows)["node_profiles"], block)
    np.testing.assert_array_equal(loaded.predict_proba(qc_frame), model.predict_proba(qc_frame))
    (folder / "node_profiles.safetensors").unlink()
    with pytest.raises(RunDirError, match="node_profiles.safetensors: missing, but the model "
                                          "was fitted with the node_profiles block"):
        RelevanceModel.load(folder)
    qi = small(tmp_path / "cache").fit(qi_frame)  # category paths only
    assert qi.profiles_ is None and "node_profiles" not in qi.scoring_blocks(qi_frame)


def test_a_scorer_keeping_recent_texts_writes_the_disk_cache_off_its_thread(
        tmp_path, qc_frame, small, monkeypatch):
    from shoprel.models.backbones.cache_writes import flush_cache_writes
    from shoprel.models.backbones.embedding_cache import EmbeddingCache

    writers = []
    real_store = EmbeddingCache.store
    monkeypatch.setattr(EmbeddingCache, "store", lambda self, *a: (
        writers.append(threading.current_thread().name), real_store(self, *a)))
    model = small(tmp_path / "cache").fit(qc_frame)
    new_queries = qc_frame.take(np.arange(20))
    new_queries.df["query"] = new_queries.df["query"] + " new"
    writers.clear()
    model.predict_proba(new_queries)  # a predict: written before it returns
    assert writers == [threading.current_thread().name]
    writers.clear()
    new_queries.df["query"] = new_queries.df["query"] + " again"
    served = model.keep_recent(1_000).predict_proba(new_queries)
    flush_cache_writes()
    assert writers == ["shoprel-cache-writes"]
    model.keep_recent(0)  # the vectors written behind are read back from disk alike
    np.testing.assert_array_equal(model.predict_proba(new_queries), served)
    assert model.embedding_counts_["disk"] >= 20


def test_a_served_scorer_asks_the_disk_only_for_texts_it_holds_and_scores_alike(
        tmp_path, qc_frame, small, monkeypatch):
    """serve's new queries skip the disk cache (cache_keys.py: the file's keys in memory), the
    queries it holds are still read from it, and the probabilities are those of a plain predict."""
    from shoprel.models.backbones.cache_keys import known_keys
    from shoprel.models.backbones.cache_writes import flush_cache_writes
    from shoprel.models.backbones.embedding_cache import EmbeddingCache

    model = small(tmp_path / "cache").fit(qc_frame)
    stored = qc_frame.take(np.arange(10))
    model.predict_proba(stored)  # its queries now on disk
    rows = qc_frame.take(np.arange(30))
    rows.df.loc[10:, "query"] = rows.df["query"][10:] + " served"
    cache_file, = (tmp_path / "cache" / "embeddings").glob("*.sqlite")
    assert known_keys(cache_file).wait_read(10)
    asked = []
    real = EmbeddingCache.lookup
    monkeypatch.setattr(EmbeddingCache, "lookup", lambda self, kind, texts: (
        asked.extend((kind, t) for t in texts), real(self, kind, texts))[1])
    served = model.keep_recent(1_000).predict_proba(rows)
    asked_queries = {t for kind, t in asked if kind == "query"}
    assert asked_queries == set(stored.df["query"])
    assert model.embedding_counts_["disk"] >= stored.df["query"].nunique()
    flush_cache_writes()
    monkeypatch.setattr(EmbeddingCache, "lookup", real)
    np.testing.assert_allclose(served, model.keep_recent(0).predict_proba(rows), rtol=0,
                               atol=1e-6)


def test_a_scorer_keeping_recent_texts_remembers_the_votes_targets_and_scores_alike(
        tmp_path, qc_frame, small):
    """serve keeps recent texts: its 10-pair batches of new queries on the same categories
    then multiply each category by the training targets once, with the same probabilities."""
    model = small(tmp_path / "cache").fit(qc_frame)
    new_rows = qc_frame.take(np.arange(60))
    new_rows.df["query"] = new_rows.df["query"] + " served"
    batches = [new_rows.take(np.arange(i, i + 10)) for i in range(0, 60, 10)]
    plain = np.concatenate([model.predict_proba(batch) for batch in batches])
    assert not model.votes_.remembers_targets
    model.keep_recent(1_000)
    assert model.votes_.remembers_targets
    served = np.concatenate([model.predict_proba(batch) for batch in batches])
    np.testing.assert_allclose(served, plain, rtol=0, atol=1e-6)
    assert model.votes_.remembered_targets() == new_rows.df["target"].nunique()
    assert not model.keep_recent(0).votes_.remembers_targets


BROKEN = "encoder.layer.1.output.dense.weight"


def test_a_fit_records_the_weights_its_backbone_lacked_only_when_some(tmp_path, qc_frame,
                                                                      small, tiny_bert):
    """A torch backbone missing encoder weights embedded with them random and nothing told
    of it; the fit's train stats name them now, and a whole backbone records none."""
    from pathlib import Path

    from tests.models.builders import without_weights

    rows = qc_frame.take(np.arange(120))
    whole = small(tmp_path / "c1").fit(rows)
    assert getattr(whole, "train_stats_", None) is None
    broken = without_weights(Path(tiny_bert), tmp_path / "broken", [BROKEN])
    model = small(tmp_path / "c2", backbone=str(broken)).fit(rows)
    assert model.train_stats_ == {"missing_encoder_weights": [BROKEN]}
    # its texts are in the cache now: the backbone is not read again, so nothing to tell
    again = small(tmp_path / "c2", backbone=str(broken), seed=3).fit(rows)
    assert getattr(again, "train_stats_", None) is None


def test_train_warns_in_one_line_of_a_backbone_missing_encoder_weights(tiny_bert, tmp_path):
    """`shoprel train` says once, even under --quiet, that the embeddings came from a
    backbone whose missing encoder weights started random."""
    from pathlib import Path

    from tests.models.builders import train_demo_quietly, without_weights

    broken = without_weights(Path(tiny_bert), tmp_path / "broken", [BROKEN])
    done = train_demo_quietly(tmp_path, "embed", f"backbone: '{broken}', n_features: 65536, "
                              "n_estimators: 30, inner_folds: 3, n_jobs: 1")
    assert done.stderr.splitlines() == [
        f"warning: model.params.backbone {broken} lacks 1 encoder weight(s) ({BROKEN}), which "
        "started random: a broken checkpoint? the run's models were fitted on embeddings "
        "from those random weights"]
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["fine_tuning"][0] == {"fit": "fold 0", "missing_encoder_weights": [BROKEN]}


def test_a_fold_loading_its_backbone_only_for_its_validation_rows_warns_too(tiny_bert, tmp_path):
    """Fold 0's training texts were all cached (a fit on them embedded them before), so its
    model loaded the broken backbone only to embed its validation rows, after its fit: the
    run recorded nothing and `shoprel train` said nothing of the random weights those
    embeddings (then cached for every later fit) came from. Fold 0's record names them now."""
    from pathlib import Path

    from tests.models.builders import train_demo_quietly, without_weights

    from shoprel.demo import demo_file
    from shoprel.folds.grouped import assign_folds
    from shoprel.training.config import RunConfig

    broken = without_weights(Path(tiny_bert), tmp_path / "broken", [BROKEN])
    params = {"backbone": str(broken), "n_features": 65536, "n_estimators": 30,
              "inner_folds": 3, "n_jobs": 1}
    frame = read_pairs(demo_file("QC"))
    folds = assign_folds(frame, 2, RunConfig().folds.seed)  # the folds train makes
    warm = model_class("embed")(**params, cache_dir=str(tmp_path / "cache"))
    warm.fit(frame.take(np.flatnonzero(folds != 0)))
    assert warm.train_stats_ == {"missing_encoder_weights": [BROKEN]}
    done = train_demo_quietly(tmp_path, "embed", ", ".join(
        f"{key}: '{value}'" if key == "backbone" else f"{key}: {value}"
        for key, value in params.items()))
    assert done.stderr.splitlines() == [
        f"warning: model.params.backbone {broken} lacks 1 encoder weight(s) ({BROKEN}), which "
        "started random: a broken checkpoint? the run's models were fitted on embeddings "
        "from those random weights"]
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["fine_tuning"] == [{"fit": "fold 0", "missing_encoder_weights": [BROKEN]},
                                      {"fit": "fold 1"}, {"fit": "final"}]


def test_the_unseen_language_booster_s_digest_is_recorded_and_checked(tmp_path, qc_frame,
                                                                      small):
    """Its files are named in `state.booster_sha256` beside the main booster's, and one changed
    since (a digit inside a tree, same length) is refused naming it."""
    import hashlib

    folder = small(tmp_path / "cache", unseen_language_booster=True, n_boosters=2).fit(
        qc_frame).save(tmp_path / "saved")
    digests = json.loads((folder / "model.json").read_text())["state"]["booster_sha256"]
    names = ["lightgbm.txt", "lightgbm.2.txt", "lightgbm_unseen_languages.txt",
             "lightgbm_unseen_languages.2.txt"]
    assert digests == {name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
                       for name in names}
    path = folder / "lightgbm_unseen_languages.2.txt"
    data = path.read_bytes()
    at = data.index(b"\nleaf_value=", data.index(b"\nTree=1\n")) + len(b"\nleaf_value=")
    while data[at] not in b"12345678":
        at += 1
    path.write_bytes(data[:at] + bytes([data[at] + 1]) + data[at + 1:])
    with pytest.raises(RunDirError) as info:
        RelevanceModel.load(folder)
    assert str(info.value).startswith(f"{path}: the booster file is damaged (its SHA-256 is "
                                      "not the one recorded when it was saved)")
