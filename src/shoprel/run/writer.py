"""Writing a run folder (RunWriter: train, ensemble, distill, thresholds); its --overwrite guard."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from shoprel.errors import OutputError
from shoprel.run.folder import Run
from shoprel.run.layout import CONFIG, FOLDS, MANIFEST, METRICS, MODELS, OOF, REPORT
from shoprel.run.manifest import Manifest
from shoprel.run.metrics_file import read_metrics
from shoprel.utils.atomic import (
    SHARED_FILE_WAIT_S,
    atomic_file,
    output_lock,
    restored_on_failure,
)
from shoprel.utils.outputs import check_file_target


def replaceable_as(kind: str) -> Callable[[Path], None]:
    """The --overwrite guard for a run ("run") or an ensemble ("ensemble") output: what
    output_stamp.check_replaceable allows, and only a folder of the same kind (a trained run's
    models and student are not an ensemble's to replace, nor the reverse)."""
    from shoprel.utils.output_stamp import check_replaceable

    def guard(folder: Path) -> None:
        check_replaceable(folder)
        manifest = Path(folder) / MANIFEST
        if not manifest.is_file():
            return  # an empty folder
        try:
            found = json.loads(manifest.read_text(encoding="utf-8")).get("kind", "run")
        except (OSError, ValueError, AttributeError):
            raise OutputError(f"{manifest}: unreadable, so what the folder holds is unknown; "
                              "--overwrite would delete it: choose another folder") from None
        if found != kind:
            what = {"run": "a trained run", "ensemble": "an ensemble"}.get(found, f"a {found}")
            raise OutputError(f"{folder}: holds {what}; --overwrite replaces only "
                              f"{'an ensemble' if kind == 'ensemble' else 'a trained run'}, "
                              "choose another folder")

    return guard


class RunWriter:
    """Writes the files of a run folder.

    `RunWriter(tmp)` fills a folder being built (the temporary folder of `atomic_dir`, moved
    into place when complete): the manifest goes last, since a folder without it is not a
    finished run. `RunWriter.finished(run_dir)` rewrites files of a finished run, each one
    atomically (a reader sees the old file or the new one).
    """

    def __init__(self, folder: str | Path, in_place: bool = False):
        self.path = Path(folder)
        self.in_place = in_place

    @classmethod
    def finished(cls, run_dir: str | Path) -> RunWriter:
        return cls(run_dir, in_place=True)

    def _text(self, name: str, text: str) -> Path:
        target = self.path / name
        if self.in_place:
            with atomic_file(target, durable=True) as tmp:
                Path(tmp).write_text(text, encoding="utf-8")
        else:
            target.write_text(text, encoding="utf-8")
        return target

    def _table(self, name: str, table: pd.DataFrame) -> Path:
        target = self.path / name
        if self.in_place:
            with atomic_file(target, durable=True) as tmp:
                table.to_parquet(tmp, index=False)
        else:
            table.to_parquet(target, index=False)
        return target

    @property
    def models_dir(self) -> Path:
        return self.path / MODELS

    def oof(self, table: pd.DataFrame) -> Path:
        return self._table(OOF, table)

    def folds(self, table: pd.DataFrame) -> Path:
        return self._table(FOLDS, table)

    def config(self, text: str) -> Path:
        return self._text(CONFIG, text)

    def metrics(self, metrics: dict) -> Path:
        return self._text(METRICS, json.dumps(metrics, indent=2, ensure_ascii=False))

    def update_metrics(self, change: Callable[[dict], None], report: bool = False) -> dict:
        """Read a finished run's metrics.json, `change` it in place and write it back, locked
        against the other commands that add to it (a carried student, language thresholds).

        `report`: report.html is rewritten to match, rendered before either file is written,
        so that a stop or a failure while it renders (seconds on a large run) leaves both as
        they were, not new figures beside a report of the old ones; and put in place before
        metrics.json is written, the old report going back if metrics.json then fails
        (restored_on_failure), so that a disk filling up on either file, or either one that
        cannot be renamed over, leaves both as they were too (metrics.json was replaced, then
        the report's swap was refused, and the error said the report was kept)."""
        with output_lock(self.path / METRICS, wait_s=SHARED_FILE_WAIT_S):
            metrics = read_metrics(self.path)
            change(metrics)
            if not report:
                self.metrics(metrics)
                return metrics
            html = self._report_html(metrics)
            check_file_target(self.path / REPORT)  # refused before metrics.json is written
            with restored_on_failure(self.path / REPORT):
                with atomic_file(self.path / REPORT, durable=True) as tmp:
                    tmp.write_text(html, encoding="utf-8")
                self.metrics(metrics)
        return metrics

    def report(self, metrics: dict, oof: pd.DataFrame) -> Path:
        from shoprel.evaluate.report.document import run_report_html

        return self._text(REPORT, run_report_html(self.path, metrics, oof))

    def _report_html(self, metrics: dict) -> str:
        """The finished run's report with these metrics."""
        from shoprel.evaluate.report.document import run_report_html

        return run_report_html(self.path, metrics, Run.read(self.path).oof())

    def manifest(self, manifest: Manifest) -> Path:
        """run.json; when building a folder, the last file written."""
        return self._text(MANIFEST, manifest.to_json())
