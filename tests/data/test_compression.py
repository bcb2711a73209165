"""Every reader reads a file compressed (rows.jsonl.gz, rows.parquet.gz, .bz2, .xz) as the file
inside, where only predict, evaluate and check-submission did (through a copy), and one whose
name says no format (rows.gz) as its content's format; compressed bytes under a plain name are
told the name to give them."""

import bz2
import gzip
import lzma
from pathlib import Path

import pandas as pd
import pytest

from shoprel.augment.rewrite import check_rows
from shoprel.data.readers import iter_pair_chunks, read_pairs
from shoprel.data.records import iter_records, iter_text_lines
from shoprel.data.spool import readable_input
from shoprel.data.tasks import Task
from shoprel.data.writers import write_table
from shoprel.ensemble.noise import filter_training_file
from shoprel.errors import InputError
from shoprel.predict.index import iter_targets
from shoprel.training.noise_filter import read_flagged_ids

COMPRESS = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}
ROWS = [{"id": 1, "language": "en", "origin_query": "usb cable",
         "category_path": "consumer electronics,cables", "label": 1},
        {"id": 2, "language": "fr", "origin_query": "montre étanche", "category_path": "watches",
         "label": 0},
        {"id": 3, "language": "ja", "origin_query": "ドラクエ バッグ", "category_path": "bags",
         "label": 1}]


def _pair(tmp_path: Path, name: str, content: bytes) -> tuple[Path, Path]:
    """(the plain file, the same bytes compressed as `name`'s last suffix says)."""
    compressed = tmp_path / name
    plain = tmp_path / compressed.stem
    plain.write_bytes(content)
    compressed.write_bytes(COMPRESS[compressed.suffix](content))
    return plain, compressed


def _table(suffix: str) -> bytes:
    table = pd.DataFrame(ROWS)
    if suffix == ".csv":
        return table.to_csv(index=False).encode()
    if suffix == ".tsv":
        return table.to_csv(index=False, sep="\t").encode()
    return table.to_json(orient="records", lines=True, force_ascii=False).encode()


@pytest.mark.parametrize("name", ["train.jsonl.gz", "train.txt.bz2", "train.csv.xz",
                                  "train.tsv.gz"])
def test_every_reader_reads_a_compressed_file_as_the_file_inside(tmp_path, name):
    """train, cv, distill --unlabeled (read_pairs / iter_records), index (iter_targets),
    translate and langid (check_rows) said 'is compressed (.gz), which only predict, evaluate
    and check-submission read; decompress it first'."""
    plain, packed = _pair(tmp_path, name, _table(Path(Path(name).stem).suffix))
    frame = read_pairs(packed, require_label=True)
    pd.testing.assert_frame_equal(frame.df, read_pairs(plain, require_label=True).df)
    assert frame.df["query"].tolist() == ["usb cable", "montre étanche", "ドラクエ バッグ"]
    assert list(iter_records(packed)) == list(iter_records(plain))
    assert list(iter_targets(packed, Task.QC)) == ["consumer electronics,cables", "watches",
                                                    "bags"]
    checked = check_rows(packed, {"language_detected": "en"})
    assert (checked.task, checked.rows, checked.first_line) == (Task.QC, 3, 2 if ".csv" in name
                                                                or ".tsv" in name else 1)


def test_plain_target_and_flagged_id_lists_are_read_compressed(tmp_path):
    """One target a line (index) and one flagged id a line or an id table (noise.flagged)."""
    _, targets = _pair(tmp_path, "titles.txt.gz", "USB C cable 2m\nmontre étanche\n".encode())
    assert list(iter_targets(targets, Task.QI)) == ["USB C cable 2m", "montre étanche"]
    # a list named for its compression alone (titles.gz) is a list too, not a CSV of uneven
    # rows ("expected 2 fields, found 1" at a title with a comma); one with a header is a table
    _, bare = _pair(tmp_path, "titles.gz", b'drill bits, 10 pack\nhammer "claw"\nsaw\n')
    assert list(iter_targets(bare, Task.QI)) == ["drill bits, 10 pack", 'hammer "claw"', "saw"]
    _, table = _pair(tmp_path, "table.gz", b'id,item_title\n1,"drill, bits"\n2,saw\n')
    assert list(iter_targets(table, Task.QI)) == ["drill, bits", "saw"]
    _, ids = _pair(tmp_path, "flagged.txt.xz", b"3\n\n1\n")
    assert read_flagged_ids(ids) == [("3", 1), ("1", 3)]
    _, table = _pair(tmp_path, "flagged.csv.bz2", b"id,label\n3,1\n1,0\n")
    assert read_flagged_ids(table) == [("3", 2), ("1", 3)]


def test_a_compressed_training_file_is_filtered_line_by_line(tmp_path):
    """`noise RUN --filtered-train` of a run trained on train.jsonl.gz copies every other line
    as written (the line copy opened the file as plain text)."""
    content = _table(".jsonl").replace(b'"id":3', b'"id":3.0')
    _, packed = _pair(tmp_path, "train.jsonl.gz", content)
    out = tmp_path / "filtered.jsonl"
    assert filter_training_file(packed, [2], out) == 1
    lines = content.splitlines(keepends=True)
    assert out.read_bytes() == lines[0] + lines[2]


def test_an_error_in_a_compressed_file_is_told_as_in_its_format(tmp_path):
    """A CSV's column is told at its header line and its number ids bare, as rows.csv's are:
    the format is the suffix before the compression's."""
    _, packed = _pair(tmp_path, "rows.csv.gz", b"id,language,category_path,label\n1,en,x,1\n")
    with pytest.raises(InputError) as info:
        read_pairs(packed)
    assert str(info.value).startswith(f"{packed}, line 1, field 'origin_query': missing")
    _, twice = _pair(tmp_path, "twice.tsv.xz", b"id\torigin_query\tcategory_path\n"
                                               b"7\ta\tx\n007\tb\ty\n")
    with pytest.raises(InputError) as info:
        read_pairs(twice)
    assert str(info.value).startswith(f"{twice}, line 3, field 'id': duplicate id: 007 is the "
                                      "id 7 of line 2")


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_a_compressed_file_cut_short_or_damaged_is_one_line(tmp_path, suffix):
    rows = pd.DataFrame([{**ROWS[0], "id": number} for number in range(600)])
    whole = COMPRESS[suffix](rows.to_json(orient="records", lines=True).encode())
    cut = tmp_path / f"cut.jsonl{suffix}"
    cut.write_bytes(whole[:len(whole) // 2])
    damaged = bytearray(whole)
    damaged[20:40] = b"x" * 20
    broken = tmp_path / f"damaged.jsonl{suffix}"
    broken.write_bytes(bytes(damaged))
    plain = tmp_path / f"plain.jsonl{suffix}"
    plain.write_bytes(_table(".jsonl"))
    for path in (cut, broken, plain):
        with pytest.raises(InputError) as info:
            read_pairs(path)
        assert str(info.value).startswith(f"{path}: cannot be decompressed as {suffix} (")
        assert str(info.value).endswith(": is the file whole, and compressed as its name says?")


@pytest.mark.parametrize(("compression", "said"), [
    (".gz", "is gzip-compressed, not text; name it {name}.gz, or decompress it first (gzip "
            "-dc < {name} > plain{suffix}) and give the file inside"),
    (".xz", "is xz-compressed, not text; name it {name}.xz, or decompress it first (xz -dc < "
            "{name} > plain{suffix}) and give the file inside"),
])
@pytest.mark.parametrize("name", ["rows.jsonl", "rows.csv", "titles.txt"])
def test_compressed_bytes_under_a_plain_name_are_told_the_name_to_give(tmp_path, compression,
                                                                       said, name):
    """An xz file named rows.jsonl said 'line 1: invalid UTF-8 at byte 0 of the line', which
    named no way out (a gzip file was told to take the .gz name)."""
    path = tmp_path / name
    path.write_bytes(COMPRESS[compression](_table(path.suffix)))
    read = (lambda p: list(iter_text_lines(p))) if name == "titles.txt" else read_pairs
    with pytest.raises(InputError) as info:
        read(path)
    assert str(info.value) == f"{path}: {said.format(name=name, suffix=path.suffix)}"
    path.rename(tmp_path / f"{name}{compression}")
    assert read(tmp_path / f"{name}{compression}")


def test_a_compression_shoprel_does_not_open_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "rows.jsonl.zst"
    path.write_bytes(gzip.compress(_table(".jsonl")))
    with pytest.raises(InputError) as info:
        read_pairs(path)
    assert str(info.value) == (f"{path}: is compressed (.zst), which shoprel does not read; "
                               "decompress it first (unzstd) and give the file inside")


def _checked(path: Path) -> tuple:
    checked = check_rows(path, {"language_detected": "en"})
    return checked.task, checked.rows, checked.first_line


def _copied_then_read(path: Path):
    with readable_input(path) as read:
        return read_pairs(read, require_label=True).df


# each reader a command family reads a pairs file with (the family's commands by name)
FAMILY_READERS = {
    "train, far-pairs --train, demo --data, pretrain": lambda p: read_pairs(
        p, require_label=True).df,
    "distill --unlabeled": lambda p: pd.concat([c.df for c in iter_pair_chunks(p)]),
    "noise --train, ensemble": lambda p: list(iter_records(p)),
    "index": lambda p: list(iter_targets(p, Task.QC)),
    "translate, langid": _checked,
    "predict, evaluate, check-submission": _copied_then_read,
}


def _same(read, path: Path, plain: Path) -> None:
    got, expected = read(path), read(plain)
    if isinstance(got, pd.DataFrame):
        pd.testing.assert_frame_equal(got, expected)
    else:
        assert got == expected


@pytest.mark.parametrize("family", list(FAMILY_READERS))
@pytest.mark.parametrize("inner", [".jsonl", ".csv", ".tsv", ".parquet"])
def test_a_compressed_file_whose_name_says_no_format_is_read_by_its_content(tmp_path, family,
                                                                             inner):
    """rows.gz was read only by predict, evaluate and check-submission (through a copy named by
    its first bytes); every other command said 'is compressed (.gz) but its name says no
    format before .gz'. Each now reads it as the format its first bytes inside show."""
    plain = tmp_path / f"plain{inner}"
    if inner == ".parquet":
        pd.DataFrame(ROWS).to_parquet(plain)
    else:
        plain.write_bytes(_table(inner))
    path = tmp_path / "rows.gz"
    path.write_bytes(gzip.compress(plain.read_bytes()))
    _same(FAMILY_READERS[family], path, plain)


# what a compressed file of no format's name holding no pairs file is told, by every reader
NOT_PAIRS = {
    "binary junk": (gzip.compress(bytes(range(128, 256)) * 4), "{path}, line 1: invalid UTF-8 at "
                    "byte 0 of the line (b'\\x80\\x81\\x82\\x83'); save the file as UTF-8"),
    "a gzip of a PNG": (gzip.compress(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
                        "{path}, line 1: invalid UTF-8 at byte 0 of the line (b'\\x89PNG'); "
                        "save the file as UTF-8"),
    "no gzip at all": (b"\xba\xafplain bytes", "{path}: cannot be decompressed as .gz "
                       "(BadGzipFile: Not a gzipped file (b'\\xba\\xaf')): is the file whole, "
                       "and compressed as its name says?"),
}


@pytest.mark.parametrize("family", list(FAMILY_READERS))
@pytest.mark.parametrize("content", list(NOT_PAIRS))
def test_a_compressed_file_of_no_format_that_holds_no_pairs_is_refused_alike(tmp_path, family,
                                                                              content):
    raw, said = NOT_PAIRS[content]
    path = tmp_path / "rows.gz"
    path.write_bytes(raw)
    with pytest.raises(InputError) as info:
        FAMILY_READERS[family](path)
    assert str(info.value) == said.format(path=path)


def test_an_error_in_a_compressed_file_of_no_format_is_told_as_in_its_content_s_format(
        tmp_path):
    """A CSV's missing column is told at its header line, a Parquet file's rows as rows, as
    rows.csv.gz's and rows.parquet.gz's are."""
    path = tmp_path / "rows.gz"
    path.write_bytes(gzip.compress(b"id,language,category_path,label\n1,en,x,1\n"))
    with pytest.raises(InputError) as info:
        read_pairs(path)
    assert str(info.value).startswith(f"{path}, line 1, field 'origin_query': missing")
    table = tmp_path / "plain.parquet"
    pd.DataFrame([ROWS[0], {**ROWS[1], "label": 2}]).to_parquet(table)
    path.write_bytes(gzip.compress(table.read_bytes()))
    with pytest.raises(InputError) as info:
        read_pairs(path)
    assert str(info.value) == f"{path}, row 2, field 'label': label must be 0 or 1, got 2"


@pytest.mark.parametrize("compression", [".gz", ".bz2", ".xz"])
def test_every_reader_reads_compressed_parquet_as_the_file_inside(tmp_path, compression):
    """rows.parquet.gz was refused ('is compressed Parquet') by every command but predict,
    evaluate and check-submission, while rows.jsonl.gz was read by all: it is now read from a
    private decompressed copy (Parquet's reader seeks), removed once read; an error in a row
    names the file as given."""
    from shoprel.data.records import file_columns, parquet_types

    plain = tmp_path / "plain.parquet"
    pd.DataFrame(ROWS).to_parquet(plain)
    packed = tmp_path / f"rows.parquet{compression}"
    packed.write_bytes(COMPRESS[compression](plain.read_bytes()))
    pd.testing.assert_frame_equal(read_pairs(packed, require_label=True).df,
                                  read_pairs(plain, require_label=True).df)
    assert list(iter_records(packed)) == list(iter_records(plain))
    assert file_columns(packed) == file_columns(plain) == list(ROWS[0])
    assert parquet_types(packed) == parquet_types(plain)
    assert list(iter_targets(packed, Task.QC)) == ["consumer electronics,cables", "watches",
                                                    "bags"]
    assert check_rows(packed, {"language_detected": "en"}).rows == 3
    bad = tmp_path / f"bad.parquet{compression}"
    pd.DataFrame([ROWS[0], {**ROWS[1], "label": 2}]).to_parquet(plain)
    bad.write_bytes(COMPRESS[compression](plain.read_bytes()))
    with pytest.raises(InputError) as info:
        read_pairs(bad)
    assert str(info.value) == f"{bad}, row 2, field 'label': label must be 0 or 1, got 2"


@pytest.mark.parametrize(("compression", "tool"), [(".gz", "gzip"), (".bz2", "bzip2"),
                                                 (".xz", "xz")])
def test_compressed_bytes_under_a_parquet_name_are_told_the_name_to_give(tmp_path, compression,
                                                                          tool):
    """A gzip file named rows.parquet (a download saved still encoded) got pyarrow's 'Parquet
    magic bytes not found in footer. Either the file is corrupted or this is not a parquet
    file.'; every reader (and the columns --overwrite judges an output by) says what it is and
    the name it reads by, as rows.jsonl holding gzip is told (a file is decompressed by its
    name, in every format)."""
    from shoprel.data.records import file_columns

    plain = tmp_path / "plain.parquet"
    pd.DataFrame(ROWS).to_parquet(plain)
    path = tmp_path / "rows.parquet"
    path.write_bytes(COMPRESS[compression](plain.read_bytes()))
    said = (f"{path}: is {tool}-compressed, not Parquet; name it rows.parquet{compression}, or "
            f"decompress it first ({tool} -dc < rows.parquet > plain.parquet) and give the file "
            "inside")
    for read in (read_pairs, file_columns):
        with pytest.raises(InputError) as info:
            read(path)
        assert str(info.value) == said
    path.rename(tmp_path / f"rows.parquet{compression}")
    assert len(read_pairs(tmp_path / f"rows.parquet{compression}")) == 3
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match=r"rows\.parquet: not a readable Parquet file: "):
        read_pairs(path)


@pytest.mark.parametrize("name", ["out.jsonl.gz", "out.csv.xz", "out.parquet.zst"])
def test_an_output_named_compressed_is_refused_not_written_plain(tmp_path, name):
    """Every reader now decompresses out.jsonl.gz, so the plain text a writer put there would
    no longer read back."""
    with pytest.raises(InputError) as info:
        write_table(pd.DataFrame(ROWS), tmp_path / name)
    suffix = Path(name).suffix
    assert str(info.value) == (f"{tmp_path / name}: is named as compressed ({suffix}), which "
                               f"shoprel reads but does not write: name it {Path(name).stem} "
                               "(and compress it afterwards)")
    assert not (tmp_path / name).exists()


@pytest.mark.parametrize("name", ["out.gz", "out.foo.xz"])
def test_an_output_named_compressed_with_no_format_is_told_a_name_with_one(tmp_path, name):
    """`--out out.gz` was told 'name it out', which every writer then refused ('unknown file
    type')."""
    path = tmp_path / name
    with pytest.raises(InputError) as info:
        write_table(pd.DataFrame(ROWS), path)
    suffix, stem = path.suffix, path.stem
    assert str(info.value) == (f"{path}: is named as compressed ({suffix}), which shoprel reads "
                               f"but does not write, and says no format before {suffix}: name "
                               f"it {stem}.jsonl (or .csv, .tsv, .parquet) and compress it "
                               "afterwards")
    assert not path.exists()
