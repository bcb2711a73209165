"""PairFrame: the one shape every later stage reads, whatever the file looked like."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from shoprel.data.tasks import QUERY_COLUMN, Task

# Canonical columns: id, language, query, target, and label when the file has labels.
# query_en holds a translation of the query when the file carries one.
CANONICAL = ("id", "language", "query", "target")


@dataclass
class PairFrame:
    task: Task
    df: pd.DataFrame
    source: Path | None = None
    stats: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.df)

    @property
    def has_labels(self) -> bool:
        return "label" in self.df.columns

    @property
    def labels(self) -> np.ndarray:
        return self.df["label"].to_numpy(dtype=np.int64)

    def take(self, index) -> PairFrame:
        """Rows by position, e.g. one fold's training side."""
        return PairFrame(self.task, self.df.iloc[index].reset_index(drop=True), self.source)

    def query_side(self, template: str = "{query} - {translation}") -> pd.Series:
        """The query as models read it: with its translation where the file carries one.

        The winning solution fed "{query} - {english}"; rows without a translation, or whose
        translation is the query itself, keep the bare query.
        """
        query = self.df["query"]
        if "query_en" not in self.df.columns:
            return query
        translation = self.df["query_en"].fillna("")
        useful = (translation.str.strip() != "") & (translation != query)
        combined = [template.format(query=q, translation=t)
                    for q, t in zip(query[useful], translation[useful], strict=True)]
        return query.where(~useful, pd.Series(combined, index=query.index[useful],
                                               dtype=object))

    def to_competition(self) -> pd.DataFrame:
        """The competition's column names, for writing back out."""
        out = self.df.rename(columns={"query": QUERY_COLUMN, "target": self.task.target_column})
        if "query_en" in out.columns:
            out = out.rename(columns={"query_en": "translated_query"})
        return out
