"""Gemma-3-270M's offline build, where it keeps the GGUF file it joins on the way (the real
build, from the installed part packages, is never run here: the join is faked)."""

import subprocess
import sys

import pytest

import shoprel
from shoprel.models.backbones import gemma3_270m as g
from shoprel.models.backbones.resolve import resolve_backbone
from shoprel.models.cache_inventory import KILLED_WRITER


def test_the_gguf_a_killed_build_left_is_removed_by_the_next_or_by_prune(tmp_path,
                                                                         monkeypatch):
    """The joined GGUF file (hundreds of MB) was kept in a `shoprel-gguf-*` folder of the
    system's temporary folder: a build killed there (SIGKILL; SIGTERM at its default) left it
    where nothing removed it. Its scratch is a dead writer's temporary in the cache now, as
    EmbeddingGemma's parts are: listed by `cache list`, chosen by `cache prune --stale`, and
    removed by the next build."""
    cache = tmp_path / "own"
    folder = cache / "backbones" / g.NAME
    killed = subprocess.run([sys.executable, "-c", f"""
import os, signal
from shoprel.models.backbones import gemma3_270m as g
from shoprel.models.backbones.resolve import resolve_backbone
def joined_then_killed(scratch):
    (scratch / "gemma.gguf").write_bytes(bytes(1000))
    os.kill(os.getpid(), signal.SIGKILL)
g.assemble_gguf = joined_then_killed
resolve_backbone(g.NAME, {str(cache)!r}, show_progress=False)
"""], capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr
    left = list(folder.parent.iterdir())
    assert len(left) == 1 and (left[0] / "gemma.gguf").stat().st_size == 1000, left
    listed = [entry for entry in shoprel.list_cache(cache).entries if entry.path == left[0]]
    assert [(entry.kind, entry.stale) for entry in listed] == [("partial", KILLED_WRITER)]
    pruned = shoprel.prune_cache(cache, stale=True, dry_run=True)
    assert left[0] in [entry.path for entry in pruned.chosen]

    seen = []

    def join_stopped(scratch):  # the next build, stopped once it has its scratch
        seen.append(sorted(folder.parent.iterdir()))
        (scratch / "gemma.gguf").write_bytes(bytes(10))
        raise RuntimeError("stopped after the join")

    monkeypatch.setattr(g, "assemble_gguf", join_stopped)
    with pytest.raises(RuntimeError, match="stopped after the join"):
        resolve_backbone(g.NAME, cache, show_progress=False)
    assert len(seen[0]) == 1 and seen[0][0] != left[0]  # the killed one's gone, its own made
    assert list(folder.parent.iterdir()) == []  # and its own removed as it stopped
