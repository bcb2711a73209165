"""Sizes as `shoprel cache` prints them, in the binary units `--keep-under` reads."""

import pytest

from shoprel.utils.sizes import format_size, parse_size


def test_sizes_are_whole_bytes_then_one_decimal_of_the_largest_unit_below_1024():
    assert [format_size(n) for n in (0, 1023, 1024, 1536, 5 * 1024 ** 2, 3.5 * 1024 ** 3,
                                     2048 * 1024 ** 3)] == [
        "0 B", "1023 B", "1.0 KB", "1.5 KB", "5.0 MB", "3.5 GB", "2048.0 GB"]


def test_parse_size_reads_binary_units():
    assert parse_size("500M") == 500 * 1024 ** 2
    assert parse_size("1.5t") == int(1.5 * 1024 ** 4)
    assert parse_size("20GB") == parse_size("20 GiB") == 20 * 1024 ** 3
    assert parse_size("123456") == 123456
    for bad in ("", "lots", "-1G", "5X"):
        with pytest.raises(ValueError, match="not a size"):
            parse_size(bad)


def test_a_printed_size_reads_back_as_keep_under_takes_it():
    for n in (512, 1536, 20 * 1024 ** 2, 7 * 1024 ** 3):
        assert parse_size(format_size(n)) == n


def test_a_size_that_rounds_to_1024_of_a_unit_is_said_in_the_next():
    """1,048,575 bytes printed "1024.0 KB"."""
    assert [format_size(n) for n in (1023.7, 1024 ** 2 - 1, 1024 ** 3 - 1, 1024 ** 2 - 52)] == [
        "1.0 KB", "1.0 MB", "1.0 GB", "1023.9 KB"]
