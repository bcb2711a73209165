"""The error analysis: a category path may wrap between its levels, not inside a word; a weak
language and its detected language of the same rows are one weak slice."""

from __future__ import annotations

import re

from tests.evaluate.markup import without_roles
from tests.evaluate.test_report_trust import metrics_for, scored_oof

from shoprel.evaluate.report.mistakes import errors_section
from shoprel.evaluate.run_metrics import prediction_table


def test_a_category_path_may_break_after_each_comma_and_stays_escaped():
    oof = scored_oof()
    oof["target"] = "automobiles, parts & accessories,automotive sensors,<b>crank</b>"
    metrics = metrics_for(oof)
    html = without_roles(errors_section(metrics, prediction_table(oof, metrics)))
    cell = ('<td class="text">automobiles,<wbr> parts &amp; accessories,<wbr>automotive '
            "sensors,<wbr>&lt;b&gt;crank&lt;/b&gt;</td>")
    targets = re.findall(r'<td class="text">.*?</td>', html)  # queries carry a lang=
    assert len(targets) > 10 and set(targets) == {cell}
    assert "<b>" not in html


def _weak_slices(oof) -> list[str]:
    metrics = metrics_for(oof)
    html = errors_section(metrics, prediction_table(oof, metrics))
    return re.findall(r"<li>(.*?)</li>", html.split("<h3>Weak slices</h3>", 1)[1])


def _korean_food(agree: float):
    """Rows of the category the model gets backwards tagged "ko"; the first `agree` share of
    them (and no other row) detected as Korean, the rest as their tag."""
    oof = scored_oof()
    food = (oof["top_category"] == "food").to_numpy()
    oof["language"] = oof["language"].where(~food, "ko")
    detected = oof["language"].where(~food, "en").copy()
    rows = detected.index[food]
    detected[rows[: round(agree * len(rows))]] = "ko"
    return oof.assign(detected_language=detected)


def test_a_language_and_its_detected_language_of_the_same_rows_are_listed_once():
    """Weak slices listed "language ko" and "detected language ko" when detection agreed with
    the tags: the same rows' weakness twice, pushing other slices below the fold."""
    items = _weak_slices(_korean_food(agree=1.0))
    ko = [item for item in items if "<strong>ko</strong>" in item]
    assert len(ko) == 1 and ko[0].startswith("language <strong>ko</strong>")
    n = int(re.search(r"on (\d+) rows", ko[0]).group(1))
    assert f"the detected language agrees: {n:,} of the {n:,} rows tagged or detected ko" in ko[0]
    assert any(item.startswith("top category <strong>food</strong>") for item in items)


def test_a_detected_language_on_other_rows_keeps_its_own_line():
    items = _weak_slices(_korean_food(agree=0.6))
    ko = [item for item in items if "<strong>ko</strong>" in item]
    assert sorted(item.split(" <strong>")[0] for item in ko) == ["detected language", "language"]
    assert not any("agrees" in item for item in ko)
