"""Node profiles: each node's relevant and irrelevant queries, by hand and leak-free."""

import json

import numpy as np
import pytest

from shoprel.errors import RunDirError
from shoprel.models.embed.node_profiles import COLUMNS, NodeProfiles

PATHS = ["home,kitchen,cups", "home,kitchen,plates", "home,garden,hoses", "toys,dolls",
         "home,kitchen,cups", "toys,cars"]


def unit(rows):
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


Q = unit([[1, 0, 0], [0.8, 0.6, 0], [0, 1, 0], [0, 0, 1], [0.6, 0, 0.8], [0, 0.6, 0.8]])
Y = np.array([1, 1, 0, 1, 0, 1], dtype=np.float32)


def cos_to_mean(q, rows):
    mean = Q[rows].sum(axis=0)
    return float(q @ mean / np.linalg.norm(mean))


def test_cosines_to_each_nodes_relevant_and_irrelevant_queries():
    profiles = NodeProfiles().fit(Q, PATHS, Y)
    q = unit([[0.5, 0.5, 0.7]])[0]
    out = profiles.transform(q[None, :], ["Home,Kitchen,Bowls"])[0]  # a new leaf, known parents
    assert out.shape == (len(COLUMNS),)
    col = {name: i for i, name in enumerate(COLUMNS)}
    # level 1 "home": relevant rows 0, 1; irrelevant rows 2, 4
    assert out[col["relevant_level1"]] == pytest.approx(cos_to_mean(q, [0, 1]), abs=1e-3)
    assert out[col["irrelevant_level1"]] == pytest.approx(cos_to_mean(q, [2, 4]), abs=1e-3)
    # level 2 "home,kitchen": relevant 0, 1; irrelevant 4 (the second "cups" row)
    assert out[col["irrelevant_level2"]] == pytest.approx(cos_to_mean(q, [4]), abs=1e-3)
    # the path "home,kitchen,bowls" was never fitted: no level-3 or whole-path profile
    assert np.isnan(out[[col["relevant_level3"], col["relevant_path"]]]).all()
    toys = profiles.transform(q[None, :], ["toys,dolls"])[0]
    assert np.isnan(toys[col["irrelevant_level1"]])  # no irrelevant query under "toys"
    assert toys[col["relevant_path"]] == pytest.approx(float(q @ Q[3]), abs=1e-3)


def test_fitted_rows_never_see_their_own_query():
    groups = np.array(["a", "b", "c", "d", "a", "e"])  # rows 0 and 4 share a query
    profiles = NodeProfiles()
    before = profiles.oof_transform(Q, PATHS, Y, groups, inner_folds=3, seed=0)
    for row in range(len(Y)):
        same_query = groups == groups[row]
        flipped = Y.copy()
        flipped[same_query] = 1 - flipped[same_query]
        after = profiles.oof_transform(Q, PATHS, flipped, groups, inner_folds=3, seed=0)
        np.testing.assert_array_equal(after[same_query], before[same_query])


def test_saved_profiles_load_and_bad_files_are_named(tmp_path):
    profiles = NodeProfiles().fit(Q, PATHS, Y)
    profiles.save(tmp_path)
    loaded = NodeProfiles.load(tmp_path, dim=3)
    np.testing.assert_array_equal(loaded.transform(Q, PATHS), profiles.transform(Q, PATHS))
    with pytest.raises(RunDirError, match=r"node_profiles.safetensors: field 'relevant_1' has "
                                          r"shape \(2, 3\); expected \(2, 768\)"):
        NodeProfiles.load(tmp_path, dim=768)
    nodes = json.loads((tmp_path / "node_profiles.json").read_text())
    nodes["2"] = nodes["2"][:-1]
    (tmp_path / "node_profiles.json").write_text(json.dumps(nodes))
    with pytest.raises(RunDirError, match="field 'relevant_2' has shape"):
        NodeProfiles.load(tmp_path, dim=3)
    # a depth's names were 'field '2' is not a list of names' whether missing, null or one odd
    for names, said in ((None, "field '2': missing; node names are saved per depth "
                               r"\(1, 2, 3, 0\)$"),
                        ({"a": 1}, "field '2': an object is not a list of names$"),
                        (["a", 7], r"field '2\[1\]': the number 7 is not a name$"),
                        (["a", None], r"field '2\[1\]': null is not a name$")):
        saved = dict(nodes)
        if names is None:
            del saved["2"]
        else:
            saved["2"] = names
        (tmp_path / "node_profiles.json").write_text(json.dumps(saved))
        with pytest.raises(RunDirError, match="node_profiles.json: " + said):
            NodeProfiles.load(tmp_path, dim=3)
    (tmp_path / "node_profiles.json").write_text("[1, 2]")  # it said only 'expected a JSON object'
    with pytest.raises(RunDirError, match="node_profiles.json: a list is not a JSON object of "
                                          "depth -> node names"):
        NodeProfiles.load(tmp_path, dim=3)
    (tmp_path / "node_profiles.json").write_text("[1, 2")
    with pytest.raises(RunDirError, match="node_profiles.json: not readable JSON"):
        NodeProfiles.load(tmp_path, dim=3)
    (tmp_path / "node_profiles.json").unlink()
    with pytest.raises(RunDirError, match="node_profiles.json: missing, but the model was "
                                          "fitted with the node_profiles block"):
        NodeProfiles.load(tmp_path, dim=3)
