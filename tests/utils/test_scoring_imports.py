"""Scoring processes import LightGBM without scikit-learn, and scikit-learn stays importable."""

import subprocess
import sys

CHECK = """
import sys
from shoprel.utils.scoring_imports import import_lightgbm_for_scoring
import_lightgbm_for_scoring()
import lightgbm
print("sklearn" in sys.modules, lightgbm.Booster.__name__)
import sklearn.metrics
print(sklearn.metrics.roc_auc_score([0, 1, 1], [0.1, 0.9, 0.4]))
"""


def test_lightgbm_imported_without_sklearn_which_stays_importable():
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "Booster", "1.0"]


PREDICT = """
import sys
from shoprel.cli import main
main(["predict", sys.argv[1], sys.argv[2], "--out", sys.argv[3], "--quiet"],
     standalone_mode=False)
print("sklearn imported:", "sklearn" in sys.modules)
"""


def test_predict_command_never_imports_sklearn(trained_runs, qc_demo, tmp_path):
    out = tmp_path / "pred.jsonl"
    result = subprocess.run([sys.executable, "-c", PREDICT, str(trained_runs["QC"]), str(qc_demo),
                             str(out)], capture_output=True, text=True, check=True)
    assert result.stdout.strip().endswith("sklearn imported: False")
    assert out.is_file() and len(out.read_text().splitlines()) > 100
