"""The error tables: a category path may wrap between its levels, not inside a word."""

from __future__ import annotations

import re

from tests.evaluate.test_report_trust import metrics_for, scored_oof

from shoprel.evaluate.report.mistakes import errors_section
from shoprel.evaluate.run_metrics import prediction_table


def test_a_category_path_may_break_after_each_comma_and_stays_escaped():
    oof = scored_oof()
    oof["target"] = "automobiles, parts & accessories,automotive sensors,<b>crank</b>"
    metrics = metrics_for(oof)
    html = errors_section(metrics, prediction_table(oof, metrics))
    cell = ('<td class="text">automobiles,<wbr> parts &amp; accessories,<wbr>automotive '
            "sensors,<wbr>&lt;b&gt;crank&lt;/b&gt;</td>")
    targets = re.findall(r'<td class="text">.*?</td>', html)  # queries carry a lang=
    assert len(targets) > 10 and set(targets) == {cell}
    assert "<b>" not in html
