"""PairFrame: the one shape every later stage reads, whatever the file looked like."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from shoprel.data.tasks import QUERY_COLUMN, TRANSLATION_COLUMN, Task

# Canonical columns: id, language, query, target, and label when the file has labels.
CANONICAL = ("id", "language", "query", "target")
# The query's translation (into English), when the file carries one (its `translated_query`).
TRANSLATION = "query_en"
# Each row's id as the file wrote it, where a scored file must give it back so: "007" and
# "5188" in quotes (the `id` column holds the matching key, 7 and 5188). Only frames read for
# scoring carry it (RecordValidator's `written_ids`), only when the file writes its ids as text.
WRITTEN_ID = "id_written"


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

    @property
    def has_translation(self) -> bool:
        return TRANSLATION in self.df.columns

    @property
    def output_ids(self) -> pd.Series:
        """The ids to write back out: as the file wrote them where it kept them, else the keys."""
        return self.df[WRITTEN_ID] if WRITTEN_ID in self.df.columns else self.df["id"]

    def to_competition(self) -> pd.DataFrame:
        """The competition's column names, for writing back out."""
        out = self.df.assign(id=self.output_ids).drop(columns=[WRITTEN_ID], errors="ignore")
        out = out.rename(columns={"query": QUERY_COLUMN, "target": self.task.target_column})
        if TRANSLATION in out.columns:
            out = out.rename(columns={TRANSLATION: TRANSLATION_COLUMN})
        return out
