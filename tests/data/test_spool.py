"""A pipe given as an input is copied once to a private file, its format told by its suffix or
its first bytes, and an error at one of its lines names the pipe, not the copy."""

import os
import threading
from pathlib import Path

import pandas as pd
import pytest

from shoprel.data.readers import read_pairs
from shoprel.data.spool import is_pipe, magic_compression, readable_input, sniffed_suffix
from shoprel.errors import InputError

ROWS = [{"id": 1, "language": "en", "origin_query": "usb cable",
         "category_path": "consumer electronics,cables", "label": 1},
        {"id": 2, "language": "fr", "origin_query": "montre", "category_path": "watches",
         "label": 0}]


def feed(pipe, data: bytes) -> threading.Thread:
    """A writer into the named pipe, as `zcat rows.jsonl.gz` behind `<(...)` is."""
    def write():
        with open(pipe, "wb") as fh:
            fh.write(data)
    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".tsv", ".parquet"])
def test_a_pipe_of_any_format_reads_as_its_file_does(tmp_path, suffix):
    """/dev/fd/63 has no suffix: the format is told by the bytes the pipe gives."""
    table = pd.DataFrame(ROWS)
    source = tmp_path / f"rows{suffix}"
    if suffix == ".jsonl":
        table.to_json(source, orient="records", lines=True, force_ascii=False)
    elif suffix == ".parquet":
        table.to_parquet(source)
    else:
        table.to_csv(source, sep="," if suffix == ".csv" else "\t", index=False)
    pipe = tmp_path / "63"
    os.mkfifo(pipe)
    assert is_pipe(pipe) and not is_pipe(source)
    writer = feed(pipe, source.read_bytes())
    with readable_input(pipe) as copy:
        assert copy.suffix == suffix
        frame = read_pairs(copy, require_label=True)
    writer.join(5)
    assert not copy.parent.exists()  # the copy is removed on leaving
    assert frame.df["query"].tolist() == ["usb cable", "montre"]
    assert frame.labels.tolist() == [1, 0]


def test_a_pipe_named_with_a_suffix_is_read_by_it(tmp_path):
    pipe = tmp_path / "rows.tsv"
    os.mkfifo(pipe)
    feed(pipe, b"id\tlanguage\torigin_query\tcategory_path\n1\ten\ta,b\tx\n")
    with readable_input(pipe) as copy:
        assert copy.suffix == ".tsv"
        assert read_pairs(copy).df["query"].tolist() == ["a,b"]


def test_an_error_in_a_pipe_names_the_pipe_and_its_line(tmp_path):
    pipe = tmp_path / "63"
    os.mkfifo(pipe)
    feed(pipe, b"id,language,origin_query,category_path,label\n1,en,a,x,1\n2,en,b,y,2\n")
    with pytest.raises(InputError) as info, readable_input(pipe) as copy:
        read_pairs(copy)
    assert str(info.value) == f"{pipe}, line 3, field 'label': label must be 0 or 1, got '2'"
    assert not copy.parent.exists()


def test_a_file_is_given_as_it_is(tmp_path):
    source = tmp_path / "rows.jsonl"
    source.write_text("")
    with readable_input(source) as given:
        assert given == source


@pytest.mark.parametrize(("head", "suffix"), [
    (b"PAR1\x15\x04", ".parquet"), (b'\xef\xbb\xbf\n  {"id": 1}\n', ".jsonl"),
    (b"[{\"id\": 1}]", ".jsonl"), (b"id\tquery\n", ".tsv"), (b"id,query\n", ".csv"),
    (b"", ".csv"),
])
def test_a_format_is_told_by_its_first_bytes(head, suffix):
    assert sniffed_suffix(head) == suffix


@pytest.mark.parametrize("given", ["-", "/dev/stdin"])
def test_standard_input_is_read_once_even_from_a_file_of_no_suffix(tmp_path, given):
    """`shoprel predict RUN - < rows.csv`: '-' was 'file not found', and /dev/stdin (a shell's
    redirect makes it the file itself) 'unknown file type'; an error names '-' as stdin."""
    source = tmp_path / "rows.csv"
    source.write_text("id,language,origin_query,category_path\n1,en,a,x\n2,en,b,\n3,en,c,y,z\n")
    saved = os.dup(0)
    try:
        with open(source, "rb") as fh:
            os.dup2(fh.fileno(), 0)  # what `< rows.csv` does
        with pytest.raises(InputError) as info, readable_input(given) as copy:
            assert copy.suffix == ".csv"
            read_pairs(copy)
    finally:
        os.dup2(saved, 0)
        os.close(saved)
    shown = "stdin" if given == "-" else given
    assert str(info.value) == (f"{shown}, line 4: expected 4 fields, found 5: a text holding "
                               "',' (a category path, a title) must be in double quotes")


@pytest.mark.parametrize("name", ["rows.jsonl.gz", "rows.csv.bz2", "rows.tsv.xz", "rows.gz",
                                  "rows.parquet.gz"])
def test_a_compressed_file_is_read_as_the_file_inside(tmp_path, name):
    """predict and check-submission's --input read rows.jsonl.gz as rows.jsonl: the readers
    decompress a text format by its name (the file itself is given to them), and one of a name
    of no format (rows.gz) too, told by its first bytes inside; Parquet, whose reader seeks, is
    copied."""
    import bz2
    import gzip
    import lzma

    table = pd.DataFrame(ROWS)
    inner = Path(Path(name).stem).suffix or ".jsonl"
    plain = tmp_path / f"plain{inner}"
    if inner == ".jsonl":
        table.to_json(plain, orient="records", lines=True, force_ascii=False)
    elif inner == ".parquet":
        table.to_parquet(plain)
    else:
        table.to_csv(plain, sep="," if inner == ".csv" else "\t", index=False)
    compress = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}
    path = tmp_path / name
    path.write_bytes(compress[path.suffix](plain.read_bytes()))
    copied = name == "rows.parquet.gz"
    with readable_input(path) as read:
        assert (read.suffix, read == path) == ((inner, False) if copied else (path.suffix, True))
        assert read_pairs(read, require_label=True).labels.tolist() == [1, 0]
    assert path.exists() and read.exists() != copied


def test_a_copied_compressed_file_cut_short_or_not_compressed_is_one_line(tmp_path):
    """rows.parquet.gz is decompressed into its copy, and rows.gz given to the readers: either
    says what the readers say of rows.jsonl.gz (tests/data/test_compression.py)."""
    import gzip

    cut = tmp_path / "cut.gz"
    cut.write_bytes(gzip.compress(b'{"id": 1}\n' * 50)[:30])
    with pytest.raises(InputError) as info, readable_input(cut) as read:
        read_pairs(read)
    assert str(info.value).startswith(f"{cut}: cannot be decompressed as .gz (EOFError: ")
    plain = tmp_path / "plain.parquet.gz"
    plain.write_text('{"id": 1}\n')
    with pytest.raises(InputError) as info, readable_input(plain):
        pass
    assert str(info.value).startswith(f"{plain}: cannot be decompressed as .gz (BadGzipFile: ")
    assert str(info.value).endswith(": is the file whole, and compressed as its name says?")


def test_an_error_in_a_compressed_file_names_it_and_its_line(tmp_path):
    import gzip

    path = tmp_path / "rows.csv.gz"
    path.write_bytes(gzip.compress(b"id,language,origin_query,category_path,label\n"
                                   b"1,en,a,x,1\n2,en,b,y,2\n"))
    with pytest.raises(InputError) as info, readable_input(path) as copy:
        read_pairs(copy)
    assert str(info.value) == f"{path}, line 3, field 'label': label must be 0 or 1, got '2'"


def test_a_full_temporary_folder_is_one_line_naming_the_input(tmp_path, monkeypatch):
    import errno
    import shutil

    def full(*_):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(shutil, "copyfileobj", full)
    pipe = tmp_path / "63"
    os.mkfifo(pipe)
    feed(pipe, b"id,origin_query\n1,a\n")
    with pytest.raises(InputError) as info, readable_input(pipe):
        pass
    assert str(info.value).startswith(f"{pipe}: could not be copied into the temporary folder ")
    assert str(info.value).endswith("to be read once (No space left on device): set TMPDIR to a "
                                    "folder with room, or give an uncompressed file")


@pytest.mark.parametrize("compression", [".gz", ".bz2", ".xz"])
@pytest.mark.parametrize("inner", [".jsonl", ".csv"])
def test_a_compressed_pipe_is_decompressed_by_its_first_bytes(tmp_path, compression, inner):
    """`cat rows.jsonl.gz | shoprel predict RUN -` was refused ('is gzip-compressed, not text;
    decompress it first') though rows.jsonl.gz by name was read: a pipe has no name to say so."""
    import bz2
    import gzip
    import lzma

    table = pd.DataFrame(ROWS)
    plain = tmp_path / f"plain{inner}"
    if inner == ".jsonl":
        table.to_json(plain, orient="records", lines=True, force_ascii=False)
    else:
        table.to_csv(plain, index=False)
    compress = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}[compression]
    pipe = tmp_path / "63"
    os.mkfifo(pipe)
    writer = feed(pipe, compress(plain.read_bytes()))
    with readable_input(pipe) as copy:
        assert copy.suffix == inner
        assert read_pairs(copy, require_label=True).labels.tolist() == [1, 0]
    writer.join(5)
    assert not copy.parent.exists()


def test_a_compressed_stream_cut_short_is_one_line_naming_stdin(tmp_path):
    import gzip

    cut = tmp_path / "cut"
    cut.write_bytes(gzip.compress(b'{"id": 1}\n' * 50)[:30])
    saved = os.dup(0)
    try:
        with open(cut, "rb") as fh:
            os.dup2(fh.fileno(), 0)  # what `head -c 30 rows.jsonl.gz | ...` gives
        with pytest.raises(InputError) as info, readable_input("-"):
            pass
    finally:
        os.dup2(saved, 0)
        os.close(saved)
    assert str(info.value).startswith("stdin: starts as gzip-compressed data but cannot be "
                                      "decompressed (EOFError: ")
    assert str(info.value).endswith("): is the stream whole?")


@pytest.mark.parametrize(("head", "compression"), [
    (b"\x1f\x8b\x08", ".gz"), (b"BZh9", ".bz2"), (b"\xfd7zXZ\x00", ".xz"),
    (b"BZh,id\n", None), (b"id,query\n", None), (b"\x1f", None), (b"", None),
])
def test_a_compression_is_told_by_its_magic_bytes(head, compression):
    """bzip2's 'BZh' counts only with its block size after it: a CSV header may start so."""
    assert magic_compression(head) == compression
