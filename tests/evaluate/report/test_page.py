"""The page at phone width: charts scale to their box with legible text, and wide tables stack
into labelled cells instead of scrolling sideways inside their box."""

from __future__ import annotations

import re

import pytest
from tests.evaluate.test_report_trust import metrics_for, scored_oof

from shoprel.evaluate.report import render_report
from shoprel.evaluate.report.page import CSS, STACK_COLUMNS, document, table_wrap

PHONE_BOX_PX = 380  # a 400 px window less the page's padding
MIN_PHONE_TEXT_PX = 8.0


@pytest.fixture(scope="module")
def doc() -> str:
    from shoprel.training.far_pairs import far_pairs_summary

    oof = scored_oof()
    oof["detected_language"] = oof["language"]
    metrics = metrics_for(oof)
    far = oof[oof["label"] == 0].assign(probability=lambda d: d["probability"] * 0.8)
    metrics["far_pairs"] = far_pairs_summary(far, metrics["threshold"], oof)
    return render_report(metrics, oof, "phone")


def smallest_text_px(svg_text: str, box_px: float) -> float:
    """The smallest font of a chart, in CSS px, once the SVG is shrunk to a box that wide (its
    viewBox is in the same units as its font sizes)."""
    view_width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg_text).group(1))
    sizes = [float(s) for s in re.findall(r"font-size: ([\d.]+)px", svg_text)]
    return min(sizes) * min(1.0, box_px / view_width)


def test_every_chart_shrinks_to_a_phone_with_legible_text(doc):
    """Charts had a 440 px minimum width on phones, so at 400 px each scrolled sideways inside
    its box; shrunk as they were, the widest charts' legends would have been 6 px."""
    charts = re.findall(r"<svg.*?</svg>", doc, re.S)
    assert len(charts) >= 8
    for chart in charts:
        title = re.search(r"<title[^>]*>([^<]*)", chart).group(1)
        assert 'viewBox="0 0 ' in chart.split(">", 1)[0], title
        assert smallest_text_px(chart, PHONE_BOX_PX) >= MIN_PHONE_TEXT_PX, title
    assert "min-width: 440px" not in CSS
    assert ".plot svg { max-width: 100%; height: auto;" in CSS


def test_a_wide_table_names_each_cell_by_its_column_and_stacks_on_a_phone(doc):
    """The category, language, fold and error tables scrolled sideways at 400 px: each is
    marked to stack, and the page's phone styles put its column's header before each cell."""
    tables = re.findall(r"<table.*?</table>", doc, re.S)
    stacked = [t for t in tables if t.startswith('<table class="stack stack-')]
    assert len(stacked) >= 5
    phone = doc.split("</style>", 1)[0].rsplit("@media (max-width: 600px) {", 1)[1]
    for table in stacked:
        key = re.match(r'<table class="stack stack-(\w+)', table).group(1)
        headers = [re.sub(r"<[^>]+>", "", h).replace("&amp;", "&") for h in
                   re.findall(r"<th[^>]*>(.*?)</th>", table.split("</thead>", 1)[0])]
        assert len(headers) >= STACK_COLUMNS
        for i, header in enumerate(headers, 1):
            assert (f'table.stack-{key} tr > :nth-child({i})::before {{ content: "{header} "; }}'
                    in phone), header
    confusion = next(t for t in tables if "confusion" in t.split(">", 1)[0])
    assert "stack" not in confusion.split(">", 1)[0]
    assert "table.stack tr { display: grid;" in CSS.split("@media (max-width: 600px)", 1)[1]


def test_a_narrow_table_is_left_as_it_is():
    table = "<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td>" \
            "<td>2</td></tr></tbody></table>"
    assert table in table_wrap(table)


def test_a_header_with_markup_or_quotes_names_its_cells_as_plain_text():
    """The cells keep their text and classes; a header's quotes and "<" cannot end the CSS
    string or the style element."""
    heads = ["id", "n", "F1", "recall", 'AUC <small>"a"</small> &lt;/style&gt;']
    assert len(heads) == STACK_COLUMNS
    row = '<tr class="small"><th>x</th>' + "<td>1</td>" * 4 + "</tr>"
    table = ("<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in heads) + "</tr></thead>"
             f"<tbody>{row}</tbody></table>")
    page = document("t", table_wrap(table))
    assert re.search(r'<table class="stack stack-\w{8}" role="table"><thead role="rowgroup">',
                     page)
    assert ('<tr class="small" role="row"><th role="rowheader">x</th>'
            + '<td role="cell">1</td>' * 4 + "</tr>") in page
    style = page.split("<style>", 1)[1].split("</style>", 1)[0]
    assert ':nth-child(5)::before { content: "AUC \\"a\\" \\3c /style> "; }' in style
    assert ':nth-child(1)::before { content: "id "; }' in style


def test_a_stacked_table_says_its_table_roles_which_its_phone_display_drops(doc):
    """On a phone a stacked table's rows are grids and its cells blocks, which WebKit (and so
    VoiceOver) reads as no table: every element of it names its role, header cells as
    column headers in the head and row headers beside their figures."""
    tables = re.findall(r"<table.*?</table>", doc, re.S)
    stacked = [t for t in tables if t.startswith('<table class="stack')]
    assert len(stacked) >= 5
    for table in stacked:
        head, body = table.split("</thead>", 1)
        tags = re.findall(r"<(table|thead|tbody|tfoot|tr|th|td)\b([^>]*)>", table)
        assert all("role=" in attributes for _, attributes in tags), table[:200]
        assert re.findall(r"<th\b[^>]*>", head) == \
            re.findall(r'<th\b[^>]*role="columnheader">', head)
        assert re.findall(r"<th\b[^>]*>", body) == \
            re.findall(r'<th\b[^>]*role="rowheader">', body)
        assert re.findall(r"<td\b[^>]*>", body) == re.findall(r'<td\b[^>]*role="cell">', body)
        assert len(re.findall(r'<(?:thead|tbody|tfoot) role="rowgroup">', table)) == \
            len(re.findall(r"<(?:thead|tbody|tfoot)\b", table))
    narrow = [t for t in tables if not t.startswith('<table class="stack')]
    assert narrow and not any("role=" in t for t in narrow)  # displayed as tables everywhere
