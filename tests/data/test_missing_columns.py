"""A header that misnames two or more columns is told all of them in one line: it was told one
missing column a run, the user fixing one and running again to meet the next."""

import pytest
from click.testing import CliRunner

from shoprel.cli import main
from shoprel.data.readers import read_pairs
from shoprel.errors import InputError

ROWS = '1,red shoes,"clothing,shoes",1\n2,blue hat,"home,kitchen",0\n'


def _said(path, **kwargs) -> str:
    with pytest.raises(InputError) as caught:
        read_pairs(path, **kwargs)
    assert caught.value.line == 1 and caught.value.field is None  # the header, several fields
    return str(caught.value)


@pytest.mark.parametrize(("header", "said"), [
    ("id,text,cat,label",
     "missing required columns 'origin_query' and a target column ('category_path' for QC, "
     "'item_title' for QI): the file has 'id', 'text', 'cat', 'label': add them, or rename "
     "the columns that hold them"),
    # 'search' and 'q', common names of the query column, were told only the file's columns
    ("id,search,cat,label",
     "missing required columns 'origin_query' and a target column ('category_path' for QC, "
     "'item_title' for QI): the file has 'search': name the column 'origin_query'; the file "
     "has 'id', 'search', 'cat', 'label': add the column of the task's target (QC: category "
     "paths, QI: item titles), or rename the one that holds it"),
    ("id,q,category,label",
     "missing required columns 'origin_query' and 'category_path': the file has 'q': name the "
     "column 'origin_query'; the file has 'category': name the column 'category_path'"),
    ("ids,text,category_path,lbl",
     "missing required columns 'id', 'origin_query' and 'label': the file has 'ids', 'text', "
     "'category_path', 'lbl': add them, or rename the columns that hold them"),
    ("ids,search,category_path,lbl",
     "missing required columns 'id', 'origin_query' and 'label': the file has 'search': name "
     "the column 'origin_query'; the file has 'ids', 'search', 'category_path', 'lbl': add "
     "columns 'id' and 'label', or rename the ones that hold them"),
    ("ID,Language,Category_Path,Label",
     "missing required columns 'id', 'origin_query', 'category_path' and 'label', and misnamed "
     "'language': the file has 'ID': name the column 'id' (lower case, no spaces); the file has "
     "'Category_Path': name the column 'category_path' (lower case, no spaces); the file has "
     "'Label': name the column 'label' (lower case, no spaces); the file has 'Language': name "
     "the column 'language' (lower case, no spaces); the file has 'ID', 'Language', "
     "'Category_Path', 'Label': add a column 'origin_query', or rename the one that holds it"),
])
def test_every_missing_column_of_a_header_is_said_at_once(tmp_path, header, said):
    path = tmp_path / "train.csv"
    path.write_text(f"{header}\n{ROWS}", encoding="utf-8")
    assert _said(path, require_label=True) == f"{path}, line 1: {said}"


def test_a_column_the_file_need_not_have_is_not_asked_for(tmp_path):
    """Labels are asked for where they are read (training, a gold file), not of a file to
    score; one column missing alone is said as ever, with its field."""
    path = tmp_path / "test.csv"
    path.write_text(f"id,q,category,label\n{ROWS}", encoding="utf-8")
    assert _said(path, read_labels=False).endswith(
        "missing required columns 'origin_query' and 'category_path': the file has 'q': name "
        "the column 'origin_query'; the file has 'category': name the column 'category_path'")
    path.write_text(f"id,q,category_path,label\n{ROWS}", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_pairs(path, read_labels=False)
    assert caught.value.field == "origin_query"


@pytest.mark.parametrize("command", [
    ["train", "{f}", "--out", "{d}/run", "--config", "fast"],
    ["evaluate", "{d}/sub.csv", "{f}"],
    ["check-submission", "{d}/sub.csv", "--input", "{f}"],
    ["langid", "{f}", "--out", "{d}/out.jsonl"],
])
def test_every_command_reading_pairs_says_them_at_once(tmp_path, command):
    (tmp_path / "in.csv").write_text("id,language,search_term,product_title,label\n"
                                     "1,en,drill,cordless drill,1\n", encoding="utf-8")
    (tmp_path / "sub.csv").write_text("id,prediction\n1,1\n", encoding="utf-8")
    args = [a.format(f=tmp_path / "in.csv", d=tmp_path) for a in command]
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 2 and done.stderr.count("\n") == 1, done.output
    assert "line 1: missing required columns 'origin_query' and 'item_title': the file has " \
           "'search_term': name the column 'origin_query'; the file has 'product_title': name " \
           "the column 'item_title'" in done.stderr


@pytest.mark.parametrize(("header", "said"), [
    ("ID,pred", "missing required columns 'id' and 'prediction': the file has 'ID': name the "
                "column 'id' (lower case, no spaces); the file has 'pred': name the column "
                "'prediction'"),
    ("row,score", "missing required columns 'id' and 'prediction': the file has 'row', "
                  "'score': add them, or rename the columns that hold them"),
])
def test_a_submission_missing_both_its_columns_is_told_both(tmp_path, header, said):
    """evaluate and check-submission said the id column, then the prediction column."""
    from shoprel.data.submission import check_submission
    from shoprel.evaluate.files import evaluate_files

    gold = tmp_path / "gold.csv"
    gold.write_text(f"id,origin_query,category_path,label\n{ROWS}", encoding="utf-8")
    predictions = tmp_path / "p.csv"
    predictions.write_text(f"{header}\n1,1\n2,0\n", encoding="utf-8")
    for check in (evaluate_files, check_submission):
        with pytest.raises(InputError) as caught:
            check(predictions, gold)
        assert str(caught.value) == f"{predictions}, line 1: {said}", check.__name__
