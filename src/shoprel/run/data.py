"""metrics.json's `data` block: what a run says about the rows it learnt from.

A trained run's block describes its own training (file, row counts, augmentation). An
ensemble's members share their evaluated rows and folds (ensemble/align.py refuses others) but
not necessarily their augmentation, so an ensemble's block keeps at its top the fields every
member has alike and lists the others per member under PER_MEMBER, each entry named. Ensembles
written before that copied their first member's block: read as that one block.
"""

from __future__ import annotations

PER_MEMBER = "per_member"  # [{"name": member, field: value, ...}]: the fields members differ in


def data_block(metrics: dict) -> dict:
    """The run's data block ({} when it has none)."""
    data = metrics.get("data")
    return data if isinstance(data, dict) else {}


def member_blocks(metrics: dict, name: str | None = None) -> list[tuple[str, dict]]:
    """(name, whole data block) of each trained run behind the run: a trained run's own, or
    each member's of an ensemble (its shared fields with its own). `name`: the run's, for a
    block that names none (default: metrics.json's run_name)."""
    data = data_block(metrics)
    own_name = name or str(metrics.get("run_name") or "run")
    entries = data.get(PER_MEMBER)
    entries = [entry for entry in entries if isinstance(entry, dict)] \
        if isinstance(entries, list) else []
    shared = {key: value for key, value in data.items() if key != PER_MEMBER}
    if not entries:  # a run's block, an older ensemble's, or a damaged list: the shared part
        return [(own_name, shared)]
    return [(str(entry.get("name", own_name)),
             {**shared, **{key: value for key, value in entry.items() if key != "name"}})
            for entry in entries]


def ensemble_data(members: list[tuple[str, dict]]) -> dict:
    """An ensemble's data block from its members' (name, metrics): the fields all the trained
    runs behind it record alike, then PER_MEMBER with each one's differing fields (none when
    they all agree). A field some record and others do not differs."""
    blocks = [block for name, metrics in members for block in member_blocks(metrics, name)]
    first = blocks[0][1]
    shared = {key: value for key, value in first.items()
              if all(key in data and data[key] == value for _, data in blocks[1:])}
    differing = [{"name": name, **{k: v for k, v in data.items() if k not in shared}}
                 for name, data in blocks]
    if all(len(entry) == 1 for entry in differing):
        return shared
    return {**shared, PER_MEMBER: differing}


def recorded_field(metrics: dict, field: str) -> list[tuple[str, object]]:
    """(member name, value) of one data field, for each trained run behind the run that
    records it (a trained run: its own, if it records it)."""
    return [(name, data[field]) for name, data in member_blocks(metrics) if field in data]
