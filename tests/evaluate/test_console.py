"""The terminal's views of metrics.json."""

from shoprel.evaluate.console import learning_curve_lines, metrics_table, timing_words


def test_the_summary_gives_the_whole_runs_time_where_it_held_more_than_the_cv():
    """train's summary said "cv 40.1s" alone, after minutes more of final fit and student."""
    bare = {"timing": {"cv_seconds": 40.12, "final_fit_seconds": 0.0}}
    assert timing_words(bare, 41.0) == "cv 40.1s"  # nothing but the folds: as before
    full = {"timing": {"cv_seconds": 40.12, "final_fit_seconds": 12.04, "curve_seconds": 33.5},
            "stage0": {"seconds": 7.26}, "student": {"family": "fast", "seconds": 61.0}}
    assert timing_words(full, 160.44) == ("cv 40.1s  run 160.4s (stage 0 7.3s, learning curve "
                                          "33.5s, final fit 12.0s, student 61.0s)")
    assert timing_words(full) == ("cv 40.1s (stage 0 7.3s, learning curve 33.5s, final fit "
                                  "12.0s, student 61.0s)")
    failed = {"timing": {"cv_seconds": 5.0, "final_fit_seconds": 1.0},
              "student": {"error": "no memory", "seconds": 2.5}}  # its time was spent too
    assert timing_words(failed, 9.0) == "cv 5.0s  run 9.0s (final fit 1.0s, student 2.5s)"


def test_a_curve_point_whose_fold_models_scored_every_row_alike_is_said_to_measure_nothing():
    """10% of 500 rows printed 'AUC 0.5000' as if the share had been measured."""
    curve = {"points": [
        {"fraction": 0.1, "rows": 33.3, "roc_auc": 0.5, "f1": 0.8, "fold_roc_auc": [0.5] * 3,
         "constant_folds": [0, 1, 2]},
        {"fraction": 1.0, "rows": 333, "roc_auc": 0.71, "f1": 0.82, "fold_roc_auc": [0.7] * 3,
         "constant_folds": []}]}
    lines = learning_curve_lines(curve)
    assert lines[:3] == [
        "learning curve:   10% (33 rows/fold)  AUC 0.5000  best-cut F1 0.8000  (constant "
        "scores: not a measurement)",
        "learning curve: at 10% every fold model gave every row the same score (too few rows "
        "to learn from), so that point's AUC and F1 measure nothing; a larger share in "
        "--curve-fractions measures one",
        "learning curve:  100% (333 rows/fold)  AUC 0.7100  best-cut F1 0.8200"]
    assert len(lines) == 4  # then the best-cut F1 line


def test_the_table_lists_languages_as_every_language_listing_does():
    """train's and evaluate's lines followed metrics.json (pandas' value_counts: untagged rows
    first where they were the most, ties in the file's order); the report lists languages by
    rows, ties by code, untagged last."""
    def figures(n):
        return {"n": n, "f1": 0.5, "baseline_all_positive_f1": 0.4, "roc_auc": 0.6,
                "precision": 0.5, "recall": 0.5}

    metrics = {"overall": figures(955), "per_language": {
        "unk": figures(300), "fr": figures(250), "es": figures(200), "en": figures(200),
        "tl": figures(5)}}
    slices = [line.split()[0] for line in metrics_table(metrics).splitlines()[2:]]
    assert slices == ["overall", "fr", "en", "es", "tl", "unk"]
