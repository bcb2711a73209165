"""The text a LightGBM booster is saved as, without what only training wrote for itself.

Per tree, LightGBM writes each leaf's and node's summed hessian (`leaf_weight`,
`internal_weight`) and each node's output before its split (`internal_value`), and after the
trees a `feature_importances:` table. Its loader fills the three fields with zeros when they
are absent (tree.cpp, `Tree(const char*)`). Predictions (`predict`, raw scores, leaf indexes),
`pred_contrib` (TreeSHAP reads the counts and leaf values) and `feature_importance()` (computed
from `split_gain` and the splits, not from the table) come out the same; only a description of
the trees shows the zeros: `dump_model()`'s `leaf_weight`, `internal_weight` and
`internal_value`, and `trees_to_dataframe()`'s `weight` and its split nodes' `value`. They were
29% of the default run's LightGBM files, 34% of the fast run's (docs/speed.md, "Run size").
`split_gain`, `leaf_count` and `internal_count` stay: without them a booster loaded by a user
would report zero importances and break its contributions, silently.

The header's `feature_infos` gives each feature's training range, `[min:max]`, or a categorical
feature's values (`-1:3:2:0`), or `none` (LightGBM's word for a feature no tree can split on).
Ranges are written `none` (21% of the default run's LightGBM files as saved before): the loader
keeps the words as they are, and only `dump_model()` reads them, to list each feature's min and
max under `feature_infos`; prediction, `pred_contrib`, `feature_importance()`, `refit()`, continued
training and `trees_to_dataframe()` never do (tested). Categorical values are kept.
"""

from __future__ import annotations

import re

DROPPED = (b"leaf_weight", b"internal_weight", b"internal_value")
SIZES = re.compile(rb"^tree_sizes=([0-9 ]*)$", re.M)
TREES_END = b"end of trees\n"
IMPORTANCES = re.compile(rb"^feature_importances:\n(?:[^\n]+\n)*\n", re.M)
INFOS = re.compile(rb"^feature_infos=([^\n]*)$", re.M)
RANGE = re.compile(rb"^\[[^ \]]*\]$")  # `[min:max]` of a numerical feature


def scoring_text(model: str) -> bytes:
    """`model` (Booster.model_to_string()) without DROPPED and the importances table, its
    features' ranges written `none`, the header's `tree_sizes` (bytes per tree, which the loader
    reads the trees in parallel by) counted again. A text not laid out as expected is returned
    whole: larger, never wrong."""
    data = model.encode()
    sizes = SIZES.search(data)
    start = data.find(b"\nTree=") + 1
    end = data.find(b"\n" + TREES_END) + 1
    if sizes is None or start <= 0 or end <= start:
        return data
    lengths = [int(n) for n in sizes.group(1).split()]
    if sum(lengths) != end - start:
        return data
    trees, at = [], start
    for length in lengths:
        trees.append(without_fields(data[at:at + length]))
        at += length
    head = (without_ranges(data[:sizes.start()]) + b"tree_sizes="
            + b" ".join(b"%d" % len(t) for t in trees) + data[sizes.end():start])
    return head + b"".join(trees) + IMPORTANCES.sub(b"", data[end:], count=1)


def without_fields(tree: bytes) -> bytes:
    """One tree's lines (`Tree=3`, `key=values`..., blank lines) but those of DROPPED."""
    return b"".join(line for line in tree.splitlines(keepends=True)
                    if line.split(b"=", 1)[0] not in DROPPED)


def without_ranges(header: bytes) -> bytes:
    """The header with each numerical feature's `[min:max]` in `feature_infos` written `none`,
    categorical values and `none` as they were; a header without the line is returned as is."""
    infos = INFOS.search(header)
    if infos is None:
        return header
    words = [b"none" if RANGE.match(word) else word for word in infos.group(1).split(b" ")]
    return header[:infos.start(1)] + b" ".join(words) + header[infos.end(1):]


def cut_short(data: bytes) -> str | None:
    """Why a saved booster's text is not whole, else None. LightGBM reads a file cut inside its
    trees by aborting the process (exit 134, after a warning per line it could not read; a Ray
    actor is restarted on it without end), so a copy cut short is told before LightGBM reads it."""
    end = data.find(b"\n" + TREES_END) + 1
    if end <= 0:
        return "no 'end of trees' line: the file stops before its trees do"
    sizes, start = SIZES.search(data), data.find(b"\nTree=") + 1
    if sizes is not None and 0 < start < end:
        declared = sum(int(n) for n in sizes.group(1).split())
        if declared != end - start:
            return (f"its trees hold {end - start} bytes where its header's tree_sizes says "
                    f"{declared}")
    return None
