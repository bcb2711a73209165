"""The word-match columns: typos, plurals, joined words, numbers, rare words, saved counts."""

import json
import math

import numpy as np
import pytest

from shoprel.data.tasks import Task
from shoprel.errors import RunDirError
from shoprel.models.lexical.word_match import COLUMNS, WordMatch, stem, target_words

TITLES = ["Bell 1-Gang Weatherproof Box with 3 1/2 in. Outlets",
          "Copper Pipe 3/4 in. x 10 ft.", "Garden Hoses 50 ft.", "Garden Rake"]


def column(rows: np.ndarray, name: str) -> np.ndarray:
    return rows[:, COLUMNS.index(name)]


def test_each_query_word_is_looked_for_in_the_target():
    match = WordMatch(Task.QI).fit(TITLES)
    rows = match.transform(["garden hose", "gardn hose", "garden shovel", "shovel"],
                           ["Garden Hoses 50 ft."] * 4)
    assert rows.shape == (4, len(COLUMNS))
    assert column(rows, "stem_recall").tolist() == [1.0, 0.5, 0.5, 0.0]  # "hoses" -> "hose"
    fuzzy = column(rows, "fuzzy_recall_mean")
    assert fuzzy[0] > fuzzy[1] > fuzzy[2] > fuzzy[3] == 0.0  # a typo is half found
    assert column(rows, "words_missing").tolist() == [0.0, 0.0, 1.0, 1.0]
    assert column(rows, "first_word_found").tolist()[2:] == [1.0, 0.0]
    assert column(rows, "last_word_found")[2] == 0.0


def test_words_split_in_the_query_are_found_joined_in_the_target():
    rows = WordMatch(Task.QI).fit(TITLES).transform(["weather proof box"], [TITLES[0]])
    assert column(rows, "joined_pairs_found")[0] == 1.0
    assert column(rows, "fuzzy_recall_min")[0] >= 0.8  # "proof" sits inside "weatherproof"


def test_numbers_must_agree():
    match = WordMatch(Task.QI).fit(TITLES)
    rows = match.transform(["3/4 copper pipe", "1/2 copper pipe", "copper pipe"],
                           [TITLES[1]] * 3)
    assert column(rows, "number_recall")[:2].tolist() == [1.0, 0.0]
    assert math.isnan(column(rows, "number_recall")[2])  # the query names no number
    assert column(rows, "numbers_all_differ").tolist() == [0.0, 1.0, 0.0]


def test_rare_words_weigh_more_than_common_ones():
    match = WordMatch(Task.QI).fit(TITLES)
    assert match.rarity("garden") < match.rarity("copper") < match.rarity("never-seen")
    rows = match.transform(["garden copper"] * 2, ["Garden Rake", "Copper Pipe 3/4 in. x 10 ft."])
    assert column(rows, "stem_recall").tolist() == [0.5, 0.5]
    rare = column(rows, "rare_word_recall")
    assert rare[1] > 0.5 > rare[0]  # finding the rarer word counts for more


def test_category_paths_offer_every_level_s_words():
    assert target_words(Task.QC, "Home & Garden,Kitchen,Drinkware") == [
        "home", "garden", "kitchen", "drinkware"]
    rows = WordMatch(Task.QC).fit(["home & garden,kitchen,drinkware"]).transform(
        ["kitchen cups", ""], ["home & garden,kitchen,drinkware"] * 2)
    assert column(rows, "stem_recall").tolist() == [0.5, 0.0]  # an empty query matches nothing


def test_plurals_meet_their_singulars():
    assert [stem(w) for w in ("hoses", "batteries", "cups", "glass", "cactus", "gas")] == [
        "hose", "battery", "cup", "glass", "cactus", "gas"]


def test_the_saved_counts_do_not_depend_on_the_order_words_were_met(tmp_path):
    """Two trainings on the same rows write the same bytes: the words' order followed a set's,
    which follows Python's string hashing (another in each process)."""
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    WordMatch(Task.QI).fit(TITLES).save(first)
    WordMatch(Task.QI).fit(TITLES[::-1]).save(second)
    assert first.read_bytes() == second.read_bytes()
    counts = json.loads(first.read_text())["counts"]
    assert list(counts) == sorted(counts)


def test_saved_counts_give_the_same_columns(tmp_path):
    match = WordMatch(Task.QI).fit(TITLES)
    path = tmp_path / "word_match.json"
    path.write_text(json.dumps(match.to_json()))
    loaded = WordMatch.from_json(Task.QI, json.loads(path.read_text()), path)
    queries = ["garden hose", "3/4 copper", "weather proof"]
    np.testing.assert_array_equal(loaded.transform(queries, TITLES[:3]),
                                  match.transform(queries, TITLES[:3]))


@pytest.mark.parametrize(("data", "field"), [
    # it said 'expected a JSON object ...' whatever the file held
    ([], "a list is not a JSON object; saved word counts hold 'documents' and 'counts'"),
    (None, "null is not a JSON object"),
    # it said Python's repr ('field 'documents' is None', 'is '3'', 'is True')
    # said "the number -1 is not a whole number >= 0", where an integer option and a config
    # field say utils/bounds.py's sentences
    ({"documents": -1, "counts": {}},
     "field 'documents': -1 is out of range; it must be at least 0$"),
    ({"documents": "3", "counts": {}}, "field 'documents': a text is not a whole number$"),
    ({"documents": True, "counts": {}}, "field 'documents': true is not a whole number$"),
    ({"documents": 2.5, "counts": {}}, "field 'documents': 2.5 is not a whole number$"),
    ({"documents": 2.0, "counts": {}},
     "field 'documents': 2.0 is not written as a whole number; write 2$"),
    ({"documents": None, "counts": {}}, "field 'documents': null is not a whole number$"),
    ({"counts": {}}, "field 'documents': missing; saved word counts hold the number of fitted "
                     "targets there$"),
    # said "field 'counts' must map each word to the number of fitted targets holding it
    # (1..2)" whatever the word and count: now the word's field, in utils/bounds.py's sentences
    ({"documents": 2, "counts": {"hose": 3}},
     "field 'counts.hose': 3 is out of range; it must be at most 2$"),
    ({"documents": 2, "counts": {"hose": 1, "pipe": 0}},
     "field 'counts.pipe': 0 is out of range; it must be at least 1$"),
    ({"documents": 2, "counts": {"hose": "1"}}, "field 'counts.hose': a text is not a whole "
                                                 "number$"),
    ({"documents": 2, "counts": {"hose": 1.0}},
     "field 'counts.hose': 1.0 is not written as a whole number; write 1$"),
    ({"documents": 2, "counts": {"hose": True}}, "field 'counts.hose': true is not a whole "
                                                  "number$"),
    ({"documents": 2, "counts": [1, 2]}, "field 'counts': a list is not a JSON object; saved "
                                         "word counts map each word"),
    ({"documents": 2}, "field 'counts': missing; saved word counts map each word"),
])
def test_bad_saved_counts_are_refused_naming_the_field(tmp_path, data, field):
    with pytest.raises(RunDirError, match=f"word_match.json: {field}"):
        WordMatch.from_json(Task.QI, data, tmp_path / "word_match.json")
