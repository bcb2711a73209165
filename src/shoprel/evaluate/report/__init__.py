"""Self-contained HTML report of one cross-validation run (and the pieces it is built from).

Entry points: :func:`render_report` (metrics + OOF frame -> HTML text), :func:`write_report`
(training writes report.html into the run being built) and :func:`write_run_report`
(rebuilds it from a finished run directory, checking a given output first: never a file
it did not write; :func:`write_report_file` is the same for ``shoprel report``).
"""

from shoprel.evaluate.report.curves import f1_by_threshold
from shoprel.evaluate.report.document import (
    render_report,
    report_title,
    write_report,
    write_report_file,
    write_run_report,
)

__all__ = ["f1_by_threshold", "render_report", "report_title", "write_report",
           "write_report_file", "write_run_report"]
