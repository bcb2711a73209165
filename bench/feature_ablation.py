"""Every feature block of the embed model on and off, on the same grouped folds.

    python bench/feature_ablation.py DATA --backbone NAME[,NAME] [--name LABEL] [--rows N]
                                     [--set key=value ...] [--group task|query|language]
                                     [--save-oof DIR]

For each of 5 grouped folds (shoprel's own: category prefix for QC, query for QI; `--group
query` keeps only queries whole, as new queries on a known taxonomy are; `--group language`
holds out one language per fold, as the languages a model never saw are) it computes
the model's named feature blocks once — for the training side as `fit` does (label-using blocks
from inner folds), for the validation side as `predict_proba` does — keeps them under
$SHOPREL_CACHE/ablation/LABEL, then fits the booster with all blocks, with each block left out,
and with the old default's blocks only (lexical + cosine + raw vectors), through the model's own
booster fit (`fit_booster`: its bag of seeds). Prints OOF ROC-AUC,
F1 at the OOF-tuned threshold beside all-positive F1, the predicted-positive rate, per-fold and
per-language AUC. Dropping a block here is what switching its parameter off does in training.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
import time
from pathlib import Path

import numpy as np
from bench_guard import claim_workdir, run_main

REPO = Path(__file__).resolve().parents[1]


def parse_value(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text


def query_folds(frame, k: int = 5, seed: int = 42):
    """Folds that keep each (normalised) query whole but let categories recur across them: how
    new queries on a known taxonomy look. The model's inner folds keep the task's grouping."""
    from sklearn.model_selection import StratifiedGroupKFold

    from shoprel.folds.grouped import query_groups, strata

    groups = query_groups(frame)
    folds = np.full(len(frame), -1)
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    for fold, (_, valid) in enumerate(splitter.split(np.zeros(len(frame)), strata(frame, k),
                                                     groups)):
        folds[valid] = fold
    return folds


def language_folds(frame):
    """One fold per language: each fold's rows are scored by a model that saw none of its
    language (cross-lingual transfer; its per-fold AUC is the held-out language's)."""
    languages = sorted(frame.df["language"].unique())
    return frame.df["language"].map({lang: i for i, lang in enumerate(languages)}).to_numpy()


def compute_blocks(frame, folds, params: dict, folder: Path) -> list[dict]:
    from shoprel.models.embed.model import EmbedModel
    from shoprel.models.targets import training_targets

    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for fold in range(int(folds.max()) + 1):
        path = folder / f"fold{fold}.npz"
        train, valid = np.where(folds != fold)[0], np.where(folds == fold)[0]
        if path.exists():
            with np.load(path) as cached:
                same_rows = np.array_equal(cached["va_idx"], valid)
            if same_rows:
                path.touch()  # read again: `shoprel cache` ages it from this use
                continue
            # blocks of other folds (another file, or folds assigned another way): redone
            print(f"fold {fold}: cached blocks hold other rows; computing them again", flush=True)
        model = EmbedModel(**params)
        rows = frame.take(train)
        targets = training_targets(rows)
        fitted = model.training_blocks(rows, targets)
        scored = model.scoring_blocks(frame.take(valid))
        np.savez(path, **{f"tr_{k}": v for k, v in fitted.items()},
                 **{f"va_{k}": v for k, v in scored.items()}, tr_y=targets.target, va_idx=valid)
        print(f"fold {fold}: blocks in {time.perf_counter() - started:.0f} s", flush=True)
    return [dict(np.load(folder / f"fold{f}.npz")) for f in range(int(folds.max()) + 1)]


def evaluate(frame, loaded, params, blocks: list[str], label: str, name: str,
             save_oof: Path | None = None) -> dict:
    from sklearn.metrics import roc_auc_score

    from shoprel.evaluate.metrics import best_f1_threshold, binary_metrics, grouped_metrics
    from shoprel.models.boosted import fit_booster
    from shoprel.models.embed.model import EmbedModel
    from shoprel.models.targets import Targets

    model = EmbedModel(**params)
    config = model.config()
    y = frame.labels
    languages = frame.df["language"].to_numpy()
    oof = np.zeros(len(frame))
    per_fold = []
    for data in loaded:
        X = np.hstack([data[f"tr_{k}"] for k in blocks])
        categorical = [data["tr_lexical"].shape[1] - 1] if "lexical" in blocks else []
        booster = fit_booster(config, X, Targets(data["tr_y"], None, None), categorical)
        p = booster.predict(np.hstack([data[f"va_{k}"] for k in blocks]), config.n_jobs)
        if "lexical" in blocks:
            p = model.linear_weight * data["va_lexical"][:, 0] + (1 - model.linear_weight) * p
        oof[data["va_idx"]] = p
        per_fold.append(roc_auc_score(y[data["va_idx"]], p))
    threshold = best_f1_threshold(y, oof)[0]
    if save_oof:  # each row's OOF score beside its label, language and fold
        folds = np.zeros(len(frame), dtype=np.int64)
        for fold, data in enumerate(loaded):
            folds[data["va_idx"]] = fold
        save_oof.mkdir(parents=True, exist_ok=True)
        np.savez(save_oof / f"{label.replace(' ', '_')}.npz", probability=oof, label=y,
                 language=languages.astype(str), fold=folds)
    m = binary_metrics(y, oof >= threshold, oof)
    groups = grouped_metrics(y, oof >= threshold, oof, languages)
    per_language = {lang: groups[lang]["roc_auc"] for lang in sorted(groups)
                    if groups[lang]["roc_auc"] is not None}
    print(f"{name:12s} {label:24s} AUC {m['roc_auc']:.4f}  F1 {m['f1']:.4f} "
          f"(all-positive {m['baseline_all_positive_f1']:.4f}, predicted positive "
          f"{m['predicted_positive_rate']:.2f})  folds "
          f"{' '.join(f'{a:.3f}' for a in per_fold)}  | "
          + " ".join(f"{k}:{v:.3f}" for k, v in per_language.items()), flush=True)
    return {"label": label, "roc_auc": m["roc_auc"], "f1": m["f1"],
            "baseline_f1": m["baseline_all_positive_f1"], "fold_roc_auc": per_fold,
            "language_roc_auc": per_language}


def variant_blocks(variant: str, blocks: list[str]) -> tuple[list[str], str]:
    """The blocks a --variants entry keeps and its label: `all`, `old` (the first wave's
    blocks), or `-NAME` leaving out the blocks NAME matches (a glob: "-*1", every block of the
    second backbone; "-lexical+target_rank" leaves out both). A NAME matching no block is
    refused: a typo ("-wordmatch") measured every block under a label saying one was out."""
    if variant == "all":
        return blocks, "all"
    if variant == "old":
        return [b for b in blocks if b.startswith(("lexical", "cosine", "raw"))], "old blocks only"
    left_out = variant[1:].split("+")
    unmatched = [n for n in left_out if not fnmatch.filter(blocks, n)]
    if unmatched:
        raise ValueError(f"--variants {variant}: {', '.join(map(repr, unmatched))} matches no "
                         f"block; the blocks are {', '.join(blocks)}")
    chosen = [b for b in blocks if not any(fnmatch.fnmatch(b, n) for n in left_out)]
    return chosen, f"without {' and '.join(left_out)}"


def main() -> None:
    sys.path.insert(0, str(REPO / "src"))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data")
    parser.add_argument("--backbone", default=None, help="comma-separated backbone names")
    parser.add_argument("--name", default=None, help="label for the printout and the cache")
    parser.add_argument("--rows", type=int, default=None, help="use the first N rows only")
    parser.add_argument("--variants", default=None,
                        help="comma-separated: all, -BLOCK (all but the blocks this glob "
                             "matches; -A+B: all but both), old; "
                             "default: all, each block left out, old")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="another embed parameter (JSON value)")
    parser.add_argument("--group", choices=["task", "query", "language"], default="task",
                        help="fold groups: the task's own (QC: category prefix, QI: query), "
                             "the query for QC too (new queries on a known taxonomy), or the "
                             "language (one held-out language per fold)")
    parser.add_argument("--save-oof", type=Path, default=None, metavar="DIR",
                        help="write each variant's OOF scores, labels, languages and folds "
                             "to DIR/VARIANT.npz")
    args = parser.parse_args()
    variants = args.variants.split(",") if args.variants else None
    unknown = [v for v in variants or [] if v not in ("all", "old") and not v.startswith("-")]
    if unknown:  # before the blocks, which take many minutes
        parser.error(f"--variants: unknown {', '.join(map(repr, unknown))}: each is all, old "
                     "or -BLOCK")

    from shoprel.data.readers import read_pairs
    from shoprel.folds.grouped import assign_folds
    from shoprel.models.backbones.cache import cache_folder

    if args.save_oof is not None:  # before the blocks, which take many minutes
        claim_workdir(args.save_oof, "bench/feature_ablation.py", "--save-oof")
    frame = read_pairs(args.data, require_label=True)
    if args.rows:
        frame = frame.take(np.arange(min(args.rows, len(frame))))
    params = {k: parse_value(v) for k, v in (item.split("=", 1) for item in args.set)}
    if args.backbone:
        params["backbone"] = args.backbone.split(",")
    name = args.name or (args.backbone or "default").replace(",", "+")
    name += "" if args.group == "task" else f"-{args.group}-folds"
    folds = {"task": lambda: assign_folds(frame, 5, 42, 3), "query": lambda: query_folds(frame),
             "language": lambda: language_folds(frame)}[args.group]()
    loaded = compute_blocks(frame, folds, params, cache_folder("ablation") / name)
    blocks = [k[3:] for k in loaded[0] if k.startswith("tr_") and k != "tr_y"]
    variants = variants or ["all", *(f"-{b}" for b in blocks), "old"]
    try:
        chosen_blocks = [variant_blocks(variant, blocks) for variant in variants]
    except ValueError as exc:  # the blocks are cached by now: a corrected rerun starts at once
        parser.error(str(exc))
    results = [evaluate(frame, loaded, params, chosen, label, name, args.save_oof)
               for chosen, label in chosen_blocks]
    print(json.dumps({"name": name, "rows": len(frame), "results": results}))


if __name__ == "__main__":
    run_main(main)
