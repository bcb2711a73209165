"""What queries each node of the taxonomy was relevant for, as features (QC).

For every node of the category paths the model is fitted on (the first one, two and three
levels and the whole path) it keeps the direction of the queries labelled relevant to a path
under it and of those labelled not relevant; a pair's features are the query's cosine to both,
node by node. A new query on a known taxonomy is then compared with every query a category's
branch was judged on, not only the nearest few (the neighbour votes), and a category never
seen still has its parent's. The fitted rows get theirs from inner folds that keep queries
whole, as the neighbour votes do: in-sample a row's own query would be in its profile.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

from shoprel.data.category import prefix
from shoprel.data.records import written_kind
from shoprel.errors import RunDirError
from shoprel.folds.grouped import cross_fitted
from shoprel.utils.safetensors_file import save_numpy

NAME = "node_profiles"
FILE, NODES_FILE = "node_profiles.safetensors", "node_profiles.json"  # in a model's folder
DEPTHS = (1, 2, 3, 0)  # path prefixes of 1, 2, 3 levels; 0: the whole path
COLUMNS = tuple(f"{side}_{'path' if d == 0 else f'level{d}'}"
                for d in DEPTHS for side in ("relevant", "irrelevant"))


def node_keys(paths, depth: int) -> list[str]:
    return [(str(p) if depth == 0 else prefix(str(p), depth)).strip().lower() for p in paths]


class NodeProfiles:
    def fit(self, q: np.ndarray, paths, targets: np.ndarray) -> NodeProfiles:
        """Unit directions of each node's relevant and irrelevant queries (targets may be soft:
        a query counts toward both sides by its probability)."""
        q = np.asarray(q, dtype=np.float32)
        y = np.asarray(targets, dtype=np.float32)[:, None]
        keys_per_depth = [node_keys(paths, depth) for depth in DEPTHS]
        self._set_nodes([list(dict.fromkeys(keys)) for keys in keys_per_depth])
        self.relevant_, self.irrelevant_ = [], []
        for keys, names, index in zip(keys_per_depth, self.nodes_, self.index_, strict=True):
            rows = np.fromiter((index[k] for k in keys), dtype=np.int64, count=len(keys))
            sides = []
            for weight in (y, 1.0 - y):
                sums = np.zeros((len(names), q.shape[1]), dtype=np.float32)
                np.add.at(sums, rows, weight * q)
                sides.append(sums)
            self.relevant_.append(_unit(sides[0]).astype(np.float16))
            self.irrelevant_.append(_unit(sides[1]).astype(np.float16))
        return self

    def _set_nodes(self, names_per_depth: list[list[str]]) -> None:
        """Node names per depth and their row numbers, looked up once, not on every call (a
        server scores a few rows at a time)."""
        self.nodes_ = names_per_depth
        self.index_ = [{name: i for i, name in enumerate(names)} for names in names_per_depth]

    def transform(self, q: np.ndarray, paths) -> np.ndarray:
        """Per depth: cosine to the node's relevant and irrelevant directions (NaN: the node
        was not in the fitted paths, or no query of that side was)."""
        q = np.asarray(q, dtype=np.float32)
        out = np.full((len(q), len(COLUMNS)), np.nan)
        for d, depth in enumerate(DEPTHS):
            index = self.index_[d]
            found = np.array([index.get(k, -1) for k in node_keys(paths, depth)], dtype=np.int64)
            known = np.flatnonzero(found >= 0)
            for side, directions in enumerate((self.relevant_[d], self.irrelevant_[d])):
                vectors = np.asarray(directions[found[known]], dtype=np.float32)
                cos = (q[known] * vectors).sum(axis=1)
                empty = ~np.any(vectors, axis=1)  # no query on this side of the node
                out[known, 2 * d + side] = np.where(empty, np.nan, cos)
        return out

    def oof_transform(self, q, paths, targets, groups, inner_folds: int,
                      seed: int) -> np.ndarray:
        """Features of the fitted rows, each from profiles of the other inner folds only."""
        paths, targets = np.asarray(list(paths), dtype=object), np.asarray(targets)

        def profiles(train, valid):
            inner = NodeProfiles().fit(q[train], paths[train], targets[train])
            return inner.transform(q[valid], paths[valid])

        return cross_fitted(profiles, groups, inner_folds, seed, len(COLUMNS), fill=np.nan)

    def save(self, folder: Path) -> None:
        """The directions (safetensors) and the node names they belong to (JSON)."""
        arrays = {}
        for d, depth in enumerate(DEPTHS):
            arrays[f"relevant_{depth}"] = self.relevant_[d]
            arrays[f"irrelevant_{depth}"] = self.irrelevant_[d]
        save_numpy(arrays, Path(folder) / FILE)
        nodes = {str(depth): names for depth, names in zip(DEPTHS, self.nodes_, strict=True)}
        (Path(folder) / NODES_FILE).write_text(json.dumps(nodes, ensure_ascii=False),
                                               encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, dim: int | None) -> NodeProfiles:
        folder = Path(folder)
        for name in (FILE, NODES_FILE):
            if not (folder / name).exists():
                raise RunDirError(f"{folder / name}: missing, but the model was fitted with "
                                  f"the {NAME} block")
        try:
            nodes = json.loads((folder / NODES_FILE).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise RunDirError(f"{folder / NODES_FILE}: not readable JSON ({error})") from error
        arrays = load_file(str(folder / FILE))
        return cls.from_saved(arrays, nodes, dim, folder / FILE, folder / NODES_FILE)

    @classmethod
    def from_saved(cls, arrays: dict[str, np.ndarray], nodes, dim: int | None,
                   source=None, nodes_source=None) -> NodeProfiles:
        """Profiles from saved arrays and node names: as many directions as names per depth,
        of the model's dimension, else one RunDirError naming the file and the field."""
        where = source or "node profile arrays"
        names_where = nodes_source or "node names"
        if not isinstance(nodes, dict):
            raise RunDirError(f"{names_where}: {written_kind(nodes)} is not a JSON object of "
                              "depth -> node names")
        profiles = cls()
        names_per_depth, profiles.relevant_, profiles.irrelevant_ = [], [], []
        for depth in DEPTHS:
            names = cls._names_at(nodes, depth, names_where)
            for side, kept in (("relevant", profiles.relevant_),
                               ("irrelevant", profiles.irrelevant_)):
                field = f"{side}_{depth}"
                if field not in arrays:
                    raise RunDirError(f"{where}: field {field!r} missing")
                vectors = arrays[field]
                if vectors.ndim != 2 or vectors.shape[0] != len(names) or (
                        dim is not None and vectors.shape[1] != dim):
                    raise RunDirError(f"{where}: field {field!r} has shape {vectors.shape}; "
                                      f"expected ({len(names)}, {dim or 'dim'})")
                kept.append(vectors)
            names_per_depth.append(names)
        profiles._set_nodes(names_per_depth)
        return profiles

    @staticmethod
    def _names_at(nodes: dict, depth: int, names_where) -> list[str]:
        """The saved node names of one depth, or one RunDirError saying what the file holds
        there, as the other saved files say it ('field '2': null is not a list of names')."""
        if str(depth) not in nodes:
            raise RunDirError(f"{names_where}: field '{depth}': missing; node names are saved "
                              f"per depth ({', '.join(map(str, DEPTHS))})")
        names = nodes[str(depth)]
        if not isinstance(names, list):
            raise RunDirError(f"{names_where}: field '{depth}': {written_kind(names)} is not a "
                              "list of names")
        for i, name in enumerate(names):
            if not isinstance(name, str):
                raise RunDirError(f"{names_where}: field '{depth}[{i}]': {written_kind(name)} is "
                                  "not a name")
        return names


def _unit(sums: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return np.divide(sums, norms, out=np.zeros_like(sums), where=norms > 0)
