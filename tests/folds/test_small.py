"""The note before the fits when validation folds are too small or hold one label."""

import numpy as np

from shoprel.folds.small import small_folds_note


def test_folds_of_enough_rows_of_both_labels_say_nothing():
    labels = np.tile([0, 1], 50)
    assert small_folds_note(labels, np.repeat(np.arange(5), 20)) is None


def test_small_folds_are_named_with_their_rows_and_fewer_folds_offered():
    labels = np.tile([0, 1], 30)  # 60 rows in 5 folds of 12: --folds 3 gives folds of 20
    assert small_folds_note(labels, np.repeat(np.arange(5), 12)) == (
        "note: all 5 folds hold fewer than 20 validation rows (12, 12, 12, 12, 12): the "
        "cross-validated F1 and ROC-AUC of 60 rows are mostly noise; fewer folds (--folds 3) or "
        "more rows make them a measurement")


def test_a_fold_without_a_label_has_its_roc_auc_called_undefined():
    # 3 positives among 100 rows: folds 3 and 4 hold none; 3 folds at most can each hold one
    labels = np.zeros(100, dtype=int)
    labels[[0, 20, 40]] = 1
    folds = np.repeat(np.arange(5), 20)
    assert small_folds_note(labels, folds) == (
        "note: folds 3, 4 hold no row labelled 1, so their ROC-AUC is undefined: the "
        "cross-validated F1 and ROC-AUC of 100 rows are mostly noise; fewer folds (--folds 3) or "
        "more rows make them a measurement")


def test_too_few_rows_for_any_fold_count_ask_for_more_rows():
    labels = np.array([0, 1] * 4)  # 8 rows, 4 folds of 2
    note = small_folds_note(labels, np.repeat(np.arange(4), 2))
    assert note.startswith("note: all 4 folds hold fewer than 20 validation rows (2, 2, 2, 2)")
    assert note.endswith("; more rows (40+ with --folds 2) make them a measurement")


def test_folds_small_only_by_their_grouping_are_offered_one_fewer():
    """100 rows, 50 of each label, would fill 5 folds of 20: grouped into folds of 10, 30, 30
    and 30 rows, the note offered "a smaller --folds" with no number."""
    labels = np.tile([0, 1], 50)
    folds = np.repeat(np.arange(4), [10, 30, 30, 30])
    assert small_folds_note(labels, folds).endswith(
        "; more rows or fewer folds (--folds 3) make them a measurement")


def test_the_note_says_how_the_user_set_the_folds():
    """Told `--folds 3`, a user whose config file sets folds.k changed nothing their reruns
    read: the caller says how its user sets k."""
    labels = np.tile([0, 1], 30)

    def in_the_file(k):
        return f"folds.k: {k} in c.yaml"

    assert small_folds_note(labels, np.repeat(np.arange(5), 12), in_the_file).endswith(
        "; fewer folds (folds.k: 3 in c.yaml) or more rows make them a measurement")
    assert small_folds_note(np.array([0, 1] * 4), np.repeat(np.arange(4), 2),
                            in_the_file).endswith(
        "; more rows (40+ with folds.k: 2 in c.yaml) make them a measurement")
