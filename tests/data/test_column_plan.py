"""A Parquet column's type settled over every record of a file streamed in chunks."""

import pyarrow as pa
import pytest

from shoprel.data import column_plan
from shoprel.data.column_plan import ColumnPlan
from shoprel.data.records import FloatText
from shoprel.errors import OutputError


def _schema(values, source="q.jsonl"):
    plan = ColumnPlan(source)
    for line, value in enumerate(values, start=1):
        plan.add({"id": line, "extra": value}, line)
    return plan.arrow_schema()


def _refusal(monkeypatch, batch: int, values) -> str:
    """The one line _schema(values) is refused with, values settled `batch` at a time."""
    monkeypatch.setattr(column_plan, "NESTED_BATCH", batch)
    with pytest.raises(OutputError) as caught:
        _schema(values)
    return str(caught.value)


def test_a_column_gets_the_type_every_value_makes_not_the_first_ones():
    assert _schema([None, None, ["a", "b"]]).field("extra").type == pa.list_(pa.string())
    assert _schema([[], ["a"]]).field("extra").type == pa.list_(pa.string())
    assert _schema([[1], [FloatText("1.5")]]).field("extra").type == pa.list_(pa.float64())
    grown = _schema([{"a": 1}, None, {"a": 3, "b": "x"}]).field("extra").type
    assert grown == pa.struct([("a", pa.int64()), ("b", pa.string())])
    assert _schema([None, None]).field("extra").type == pa.null()
    assert _schema([1, FloatText("2.50")]).field("extra").type == pa.float64()
    assert _schema([1, "x"]).field("extra").type == pa.string()  # the 1 written as "1"
    assert _schema([None, True]).field("extra").type == pa.bool_()
    assert _schema([1, 2]).names == ["id", "extra"]


@pytest.mark.parametrize("batch", [1, 2_000])  # found across batches as within one
@pytest.mark.parametrize(("values", "reason"), [
    ([True, False, 5], "the number 5 here, true on line 1"),
    ([["a"], None, "b"], "a text here, a list on line 1"),
    ([1, None, {"a": 1}], "an object here, the number 1 on line 1"),
    ([[1], [2], ["x"]], "a list of type list<item: string> here, where the lines above make "
                        "the column list<item: int64>"),
    ([{"a": 1}, None, {"a": "x"}], "an object of type struct<a: string> here, where the lines "
                                   "above make the column struct<a: int64>"),
])
def test_values_no_one_type_holds_are_told_at_the_line_of_the_first_misfit(
        monkeypatch, values, reason, batch):
    assert _refusal(monkeypatch, batch, values) == (
        f"q.jsonl, line 3, field 'extra': {reason}: a Parquet column holds one type of value; "
        "write the output as .jsonl or .csv")


def test_a_parquet_source_is_told_by_row():
    with pytest.raises(OutputError, match=r"^q\.parquet, row 2, field 'extra': the number 5 "):
        _schema([True, 5], source="q.parquet")


@pytest.mark.parametrize("batch", [1, 2_000])
@pytest.mark.parametrize(("values", "at"), [
    ([None, None, {}], ""),
    ([{"a": 1}, None, {"b": {}}], " (at extra.b)"),
    ([[{"a": 1}], None, [{"b": [{}]}]], " (at extra[].b[])"),
    # line 1's empty "a" is given a key by line 2; line 3's "d" by none
    ([{"a": {}}, {"a": {"c": 1}}, {"d": [{}]}], " (at extra.d[])"),
])
def test_an_object_with_no_keys_is_told_at_its_line_where_no_line_gives_it_one(
        monkeypatch, values, at, batch):
    """{} made a Parquet column (or a part of one) of no fields, which pyarrow cannot write:
    translate/langid failed when writing, in pyarrow's words ('Cannot write struct type
    'extra' with no child field to Parquet') with neither line nor field, after the work."""
    assert _refusal(monkeypatch, batch, values) == (
        f"q.jsonl, line 3, field 'extra': an empty object here{at}, and no line gives one there "
        "a key: a Parquet object needs at least one field; write the output as .jsonl or .csv")


@pytest.mark.parametrize("batch", [1, 2_000])
def test_an_object_with_no_keys_where_another_line_gives_it_some_is_written(monkeypatch,
                                                                             batch):
    monkeypatch.setattr(column_plan, "NESTED_BATCH", batch)
    assert _schema([{}, {"a": 1}]).field("extra").type == pa.struct([("a", pa.int64())])
    assert _schema([{"a": {}}, None, {"a": {"b": "x"}}]).field("extra").type == pa.struct(
        [("a", pa.struct([("b", pa.string())]))])
    assert _schema([[], [[]], None]).field("extra").type == pa.list_(pa.list_(pa.null()))


@pytest.mark.parametrize("batch", [1, 2_000])
@pytest.mark.parametrize(("values", "reason"), [
    ([1, None, 2**63], "the number 9223372036854775808 here, beyond 64 bits"),
    ([1.5, None, -2**63 - 1], "the number -9223372036854775809 here, beyond 64 bits"),
    ([[1], None, [2, 2**64]], "a list here holding a whole number beyond 64 bits"),
    ([{"a": 1}, None, {"a": -2**70}], "an object here holding a whole number beyond 64 bits"),
])
def test_a_whole_number_beyond_64_bits_is_told_at_its_line(monkeypatch, values, reason, batch):
    """pyarrow holds no whole number beyond 64 bits: in a column of numbers it failed when
    written (after the work), and in a list or object the checking pass itself stopped on an
    OverflowError traceback ('Python int too large to convert to C long')."""
    assert _refusal(monkeypatch, batch, values) == (
        f"q.jsonl, line 3, field 'extra': {reason}: Parquet holds whole numbers of 64 bits at "
        "most; write the output as .jsonl or .csv")


def test_whole_numbers_of_64_bits_and_longer_ones_written_as_text_are_kept():
    assert _schema([2**63 - 1, -2**63]).field("extra").type == pa.int64()
    assert _schema([2**63, "x"]).field("extra").type == pa.string()  # written "9223...808"


@pytest.mark.parametrize("batch", [1, 2_000])
def test_a_value_pyarrow_cannot_type_is_told_at_its_line_with_pyarrow_s_reason(monkeypatch,
                                                                               batch):
    message = _refusal(monkeypatch, batch, [["a"], None, [1, "b"]])
    assert message.startswith("q.jsonl, line 3, field 'extra': a list that Parquet cannot hold "
                              "(ArrowInvalid: ") and "\n" not in message
    assert message.endswith("): a Parquet column holds one type of value; write the output as "
                            ".jsonl or .csv")
