"""encode_in_chunks: the bar of USE's and e5-small's embedding, in a log and on a terminal."""

import io
import sys

import numpy as np

from shoprel.models.backbones.chunked import encode_in_chunks


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _embedded(monkeypatch, stream, texts=50) -> list[str]:
    """The bar's drawn lines for `texts` texts embedded 20 at a time, stderr being `stream`."""
    monkeypatch.setattr(sys, "stderr", stream)
    out = encode_in_chunks([f"t{i}" for i in range(texts)], 2, 20,
                           lambda part: np.ones((len(part), 2), dtype=np.float32),
                           "embedding passage texts (USE)", show_progress=True)
    assert out.shape == (texts, 2)
    return [line for line in stream.getvalue().replace("\n", "\r").split("\r") if line]


def test_a_log_gets_the_compact_counts_and_a_terminal_its_bar(monkeypatch):
    """In a log file the bar drew tqdm's bar and rate at each redraw ('embedding passage texts
    (USE):  40%|████      | 20/50 [00:00<00:00, 99.1text/s]'); it keeps the counts and times."""
    monkeypatch.delenv("COLUMNS", raising=False)
    logged = _embedded(monkeypatch, io.StringIO())
    assert logged[0] == "embedding passage texts (USE): 0/50 [00:00<?]"
    assert logged[-1].startswith("embedding passage texts (USE): 50/50 [00:00<00:00]")
    assert not [line for line in logged if "|" in line or "/s" in line], logged
    drawn = _embedded(monkeypatch, Terminal())
    assert drawn[-1].startswith("embedding passage texts (USE): 100%|") and "text/s]" in drawn[-1]
