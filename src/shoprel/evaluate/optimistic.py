"""Whether a run's out-of-fold figures are optimistic, and why.

A student distilled from a teacher that saw its validation rows (soft targets without
--nested, or teacher-scored --unlabeled pairs) scores its own folds too well; an ensemble
holding such a student inherits that: a stack of a fast run, its mean ensemble and an
--unlabeled student of it reported ROC-AUC 0.7377 on 800 QC rows where the honest members
gave 0.58, and compare called it "better" with no word of the leak. A run trained with
`noise.flagged` ids that `shoprel noise` chose from the out-of-fold scores of a run over its
own rows is optimistic too: the flags knew its validation folds' labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MEMBER_KEY = "optimistic"  # in an ensemble's metrics.json members: why that member's are
THROUGH = "an ensemble whose OOF figures are optimistic through its member "
# what gives honest OOF figures, for every optimistic student: an --unlabeled one's caveat says
# that neither --nested nor --hard-weight 1.0 helps (compare's and noise's notes advise it)
HONEST_STUDENT = ("a student distilled with --nested or --hard-weight 1.0, and without "
                  "--unlabeled")
STUDENT = "a student distilled from"
# a run trained with flags chosen from a run over its own rows (ensemble/flag_source.py)
NOISE_RUN = "a run trained with noise.flagged ids chosen from its own rows"
HONEST_NOISE = "a run flagged with noise.inner_folds, or with flags from a run on other rows"


def optimistic_student(metrics: Mapping[str, Any]) -> str | None:
    """Why a run's OOF figures are optimistic, when it is a student distilled so (metrics.json
    "distillation"), else None; students recorded before the flag are judged by their caveat."""
    block = metrics.get("distillation")
    if not isinstance(block, Mapping):
        return None
    caveat = str(block.get("caveat") or "")
    flagged = block.get("oof_optimistic", caveat.startswith("student OOF is optimistic"))
    if not flagged:
        return None
    teacher = (block.get("teacher") or {}).get("name", "its teacher")
    return f"{STUDENT} {teacher}; {caveat or 'its OOF figures are optimistic'}"


def optimistic_noise(metrics: Mapping[str, Any]) -> str | None:
    """Why a run's OOF figures are optimistic, when it was trained with flags that `shoprel
    noise` chose from a run over its own rows (metrics.json "noise": training/noise_filter.py),
    else None."""
    block = metrics.get("noise")
    if not isinstance(block, Mapping) or not block.get("oof_optimistic"):
        return None
    return f"{NOISE_RUN}; {block.get('caveat') or 'its OOF figures are optimistic'}"


def honest_runs(why: str) -> str:
    """What gives honest OOF figures instead of a run optimistic for `why` (optimistic_run's):
    a student distilled so, a run with flags chosen from other rows or inner folds, or both
    for an ensemble holding one of each."""
    ways = [way for phrase, way in ((STUDENT, HONEST_STUDENT), (NOISE_RUN, HONEST_NOISE))
            if phrase in why]
    return "; or ".join(ways) or HONEST_STUDENT


def optimistic_members(metrics: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(name, why) of each member an ensemble's metrics.json records as optimistic."""
    members = metrics.get("members")
    if not isinstance(members, list):
        return []
    return [(str(m.get("name", "?")), str(m[MEMBER_KEY])) for m in members
            if isinstance(m, Mapping) and m.get(MEMBER_KEY)]


def optimistic_run(metrics: Mapping[str, Any]) -> str | None:
    """Why a run's (or an ensemble's) OOF figures are optimistic, else None: a student
    distilled so, or an ensemble with such a member (at any depth: a member ensemble records
    its own)."""
    own = optimistic_student(metrics) or optimistic_noise(metrics)
    if own is not None:
        return own
    members = optimistic_members(metrics)
    if not members:
        return None
    # a member ensemble's own reason continues the path (outer's member ens → st, a student
    # ...), where nesting it in brackets closed with ')))' two ensembles down
    return THROUGH + "; ".join(
        f"{name} → {why.removeprefix(THROUGH)}" if why.startswith(THROUGH) else f"{name}, {why}"
        for name, why in members)
