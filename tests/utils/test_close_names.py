import pytest

from shoprel.training.config import RunConfig
from shoprel.utils.close_names import closest_name, one_letter_off

SECTIONS = list(RunConfig.model_fields)  # data, folds, model, ..., noise, check, student
PAIR_FIELDS = ["query", "category_path", "language", "id", "translated_query", "label"]


@pytest.mark.parametrize("key, names, meant", [
    # short keys one letter off, or a name's beginning (or it the key's): still told
    ("pair", ["pairs"], "pairs"), ("Pairs", ["pairs"], "pairs"), ("qurey", PAIR_FIELDS, "query"),
    ("lang", PAIR_FIELDS, "language"), ("tsk", ["task", "empty_text"], "task"),
    ("kk", ["k", "seed"], "k"), ("fold", SECTIONS, "folds"), ("n_job", ["n_jobs", "C"], "n_jobs"),
    ("lable", PAIR_FIELDS, "label"),
    # a long key keeps difflib's 0.6: 'category' is 0.76 of 'category_path'
    ("category", PAIR_FIELDS, "category_path"), ("max_wait_s", ["max_wait_ms"], "max_wait_ms"),
    # short words two letters off a name are other words: 'nope' (0.67 of 'noise') said
    # "did you mean 'noise'?"; 'node' is one letter off 'mode' and stays a near miss
    ("nope", SECTIONS, None), ("test", SECTIONS, None), ("seeds", ["seed"], "seed"),
    ("node", SECTIONS + ["mode"], "mode"), ("lost", ["head", "loss"], "loss"),
    ("bar", ["batch_size"], None),
])
def test_a_short_key_is_told_only_a_name_a_letter_off_or_beginning_alike(key, names, meant):
    assert closest_name(key, names) == meant


def test_a_cutoff_of_its_own_is_kept_for_short_keys_too():
    """column_hints asks with 0.8: 'lable' (0.8 of 'label') is told, 'lang' is not."""
    assert closest_name("lable", {"label": "Label"}, cutoff=0.8) == "Label"
    assert closest_name("lang", ["language"], cutoff=0.8) is None


@pytest.mark.parametrize(("key", "name", "off"), [
    ("oyt", "out", True), ("ot", "out", True), ("oust", "out", True), ("uot", "out", True),
    ("OUT", "out", False), ("bogus", "out", False), ("tp", "to", True), ("t", "to", True),
    ("fodls", "folds", True), ("fldos", "folds", False), ("xfolds", "folds", True),
    ("folds", "foldsx", True), ("abc", "bca", False), ("model", "help", False),
])
def test_one_letter_off_is_one_letter_changed_dropped_added_or_two_swapped(key, name, off):
    """A ratio misses a typo of a three-letter name ('oyt' is 0.67 of 'out'); this does not."""
    assert one_letter_off(key, name) is off and one_letter_off(name, key) is off
