"""Sizes as `shoprel cache` prints them, in the binary units `--keep-under` reads."""

from shoprel.models.cache_inventory import parse_size
from shoprel.utils.sizes import format_size


def test_sizes_are_whole_bytes_then_one_decimal_of_the_largest_unit_below_1024():
    assert [format_size(n) for n in (0, 1023, 1024, 1536, 5 * 1024 ** 2, 3.5 * 1024 ** 3,
                                     2048 * 1024 ** 3)] == [
        "0 B", "1023 B", "1.0 KB", "1.5 KB", "5.0 MB", "3.5 GB", "2048.0 GB"]


def test_a_printed_size_reads_back_as_keep_under_takes_it():
    for n in (512, 1536, 20 * 1024 ** 2, 7 * 1024 ** 3):
        assert parse_size(format_size(n)) == n
