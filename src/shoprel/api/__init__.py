"""The Python API: what the CLI commands do, as functions, and a run that scores pairs held in
memory. The CLI parses and prints; these do the work, so a notebook or a pipeline gets the same
runs, outputs and one-line errors (`shoprel.errors.ShoprelError`) as the command line.
(`predict_file`, `evaluate_file`, `ensemble_runs`..., not `predict`, `evaluate`, `ensemble`:
those name subpackages.) Every command has its function but `serve` (an HTTP server: `Scorer`
scores in memory) and `demo` (a tour of the commands). One module a topic: training, scoring,
runs, data (pair files) and upkeep (cache, export); wording and checks are what they share.

    import shoprel

    result = shoprel.train("train_QC.txt", "runs/qc")        # as `shoprel train`
    print(result.metrics["overall"]["roc_auc"])
    run = shoprel.Scorer("runs/qc")                          # models loaded once
    table = run.score([{"origin_query": "yoga mat", "language": "en",
                        "category_path": "sports & entertainment,fitness,yoga mats"}])
    shoprel.predict_file("runs/qc", "test_QC.txt", "submission_QC.txt")
    shoprel.evaluate_file("submission_QC.txt", "gold_QC.txt")["overall"]["f1"]
    shoprel.pretrain(["train_QC.txt", "test_QC.txt"], "e5-tapt", {"max_steps": 200})
    shoprel.ensemble_runs(["runs/qc", "runs/qc-b"], "runs/qc-ens")     # as `shoprel ensemble`
    shoprel.noisy_rows("runs/qc", out_file="flagged.txt").flagged     # as `shoprel noise`
    shoprel.check_submission("submission_QC.txt", "test_QC.txt").ok   # as `check-submission`
    shoprel.add_far_pairs("runs/qc", pairs=1000).far_pairs            # as `shoprel far-pairs`
    shoprel.langid_file("test_QC.txt", "test_QC.lid.jsonl").lines()   # as `shoprel langid`
    shoprel.prune_cache(stale=True, dry_run=True).chosen              # as `shoprel cache prune`
    shoprel.translate_file("test_QC.txt", "test_QC.en.jsonl", to="en").totals  # as `translate`
    shoprel.export_onnx("runs/qc-cross", int8=True)                   # as `shoprel export`
"""

from shoprel.api.data import check_submission, langid_file, read_pairs, translate_file
from shoprel.api.runs import (
    add_far_pairs,
    compare_runs,
    ensemble_runs,
    evaluate_file,
    noisy_rows,
    write_report,
)
from shoprel.api.scoring import Scorer, index_targets, predict_file
from shoprel.api.training import distill_student, load_config, pretrain, train
from shoprel.api.upkeep import export_onnx, list_cache, prune_cache

__all__ = ["Scorer", "add_far_pairs", "check_submission", "compare_runs", "distill_student",
           "ensemble_runs", "evaluate_file", "export_onnx", "index_targets", "langid_file",
           "list_cache", "load_config", "noisy_rows", "predict_file", "pretrain", "prune_cache",
           "read_pairs", "train", "translate_file", "write_report"]
