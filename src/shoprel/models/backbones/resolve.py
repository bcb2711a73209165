"""Turn a backbone name into something `from_pretrained` can load, with a fingerprint of it.

A name is a built-in (`e5-small`, built once into the user cache), a local folder, or a Hugging
Face id. The fingerprint identifies the weights so that caches keyed by it (embeddings) are never
reused across different models.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import shoprel.models.backbones.e5_small as e5_small
import shoprel.models.backbones.embeddinggemma as embeddinggemma
import shoprel.models.backbones.gemma3_270m as gemma3_270m
import shoprel.models.backbones.use_multilingual as use_multilingual
from shoprel.data.records import written_kind
from shoprel.errors import BackboneChangedError, ConfigError, one_line_reason
from shoprel.models.backbones.cache import (
    LAST_USED,
    META_FILE,
    cache_root,
    files_sha256,
    mark_cache,
    mark_used,
    not_a_build,
    read_meta,
)
from shoprel.utils.progress import bars_allowed

log = logging.getLogger(__name__)

_BUILDERS = {e5_small.NAME: e5_small, gemma3_270m.NAME: gemma3_270m,
             embeddinggemma.NAME: embeddinggemma}
BUILTINS = (*_BUILDERS, use_multilingual.NAME)
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf")
# how a backbone's embeddings are computed (encoders.py): plain transformers with mean pooling,
# a sentence-transformers folder (its own pooling, dense layers and normalisation), or USE
TRANSFORMERS, SENTENCE_TRANSFORMERS = "transformers", "sentence-transformers"
HUB_PROBE_SECONDS = 3.0  # how long the hub may take to answer before it counts as out of reach


@dataclass(frozen=True)
class Backbone:
    name: str  # as the user wrote it
    source: str  # what from_pretrained is given: a folder or a hub id
    fingerprint: str
    query_prefix: str = ""
    passage_prefix: str = ""
    model_kwargs: dict = field(default_factory=dict)
    engine: str = TRANSFORMERS

    @property
    def slug(self) -> str:
        """A folder-safe label for caches keyed by this backbone."""
        base = "".join(c if c.isalnum() or c in "-._" else "_" for c in Path(self.name).name)
        return f"{base or 'backbone'}-{self.fingerprint.rsplit(':', 1)[-1][:16]}"

    def check_trained(self, trained: str, what: str = "the model was trained on") -> None:
        """Refuse to use these weights where others were used (a saved model, a stage-0 start):
        features or an adapter computed on other weights would be silently wrong."""
        if self.fingerprint != trained:
            raise BackboneChangedError(f"model.params.backbone {self.name!r}: now resolves to "
                                       f"{self.fingerprint}, but {what} {trained}; "
                                       f"{self._changed_fix()}")

    def _changed_fix(self) -> str:
        """What gives the model its weights back, by where they come from: a built-in is built
        from pinned packages (rebuilt on its own when their versions change), a hub id moves
        with its repository, a folder holds whatever was copied there."""
        if self.name in BUILTINS:
            return (f"this {self.name} was built from other source packages than the one it was "
                    "trained on (another shoprel or package version): install the versions it "
                    "was trained with (the cache rebuilds it on next use), or train it again "
                    "on this build")
        if self.fingerprint.startswith("hub:"):
            return ("the hub's repository is at another commit now: name a local folder holding "
                    "the commit it was trained on, or train it again on this one")
        return "put back the weights it was trained on, or train it again on these"


def builtin_folder(name: str, cache_dir=None) -> Path:
    return cache_root(cache_dir) / "backbones" / name


def built_sha256(name: str, cache_dir: str | os.PathLike | None = None) -> str | None:
    """The weights' SHA-256 of built-in `name` as the cache holds it now (the hex in its
    fingerprint), without building or hashing anything; None when it is not built there (or
    not usable as it is). USE's weights are pinned, so it always has one."""
    if name == use_multilingual.NAME:
        return use_multilingual.WEIGHTS_SHA256
    builder = _BUILDERS.get(name)
    if builder is None:
        return None
    folder = builtin_folder(name, cache_dir)
    meta = read_meta(folder)
    if builder.stale_reason(folder, meta, verify=False, cache_dir=cache_dir) is not None:
        return None
    return str(meta["weights_sha256"])


def resolve_backbone(name: str, cache_dir: str | os.PathLike | None = None,
                     verify: bool = True, show_progress: bool = True,
                     key: str = "model.params.backbone") -> Backbone:
    """Find (building if needed) the backbone `name`; verify=False skips the weights checksum.
    `key`: the config key or option that gave the name, for errors. Weights are hashed through
    `cache_dir`'s checksum memo, as the built-ins are built there."""
    if name == use_multilingual.NAME:
        return _resolve_use(cache_dir)
    if name in BUILTINS:
        mark_cache(cache_root(cache_dir))
        return _resolve_builtin(_BUILDERS[name], builtin_folder(name, cache_dir), verify,
                                show_progress and bars_allowed(), cache_dir, key)
    path = Path(name).expanduser()
    if path.is_dir():
        return _resolve_folder(name, path, key, cache_dir)
    if path.exists():
        raise ConfigError(f"{key} {name!r}: is a file; give a model folder, a built-in "
                          f"({', '.join(BUILTINS)}) or a Hugging Face id")
    if looks_local(name):
        raise ConfigError(f"{key} {name!r}: no such folder ({path.absolute()}); a local model "
                          f"folder must exist (a built-in: {', '.join(BUILTINS)})")
    return _resolve_hub(name, key)


def weight_files(folder: Path) -> list[Path]:
    """The weight files anywhere in a model folder (what identifies its weights), sorted."""
    return sorted(p for p in Path(folder).rglob("*") if p.suffix in WEIGHT_SUFFIXES
                  and p.is_file())


def looks_local(name: str) -> bool:
    """A path, never a Hugging Face id: an id is `name` or `org/name` (one slash), and never
    begins with `.`, `/` or `~` nor holds a backslash."""
    return name.startswith((".", "/", "~")) or name.count("/") > 1 or "\\" in name


def _not_here_either(name: str) -> str:
    """For an `org/name` id the hub does not give: a local folder `org/` without `name` in it
    means a typo in a local path far more likely than a hub id."""
    parent = Path(name).expanduser().parent
    if parent != Path(".") and parent.is_dir():
        return f"; nor is it a local folder ({parent} holds no {Path(name).name!r})"
    return ""


def _resolve_builtin(builder, folder: Path, verify: bool, show_progress: bool,
                     cache_dir: str | os.PathLike | None = None,
                     key: str = "model.params.backbone") -> Backbone:
    meta = read_meta(folder)
    reason = builder.stale_reason(folder, meta, verify, cache_dir=cache_dir)
    if reason is not None:
        held = not_a_build(folder, builder.NAME)
        if held is not None:  # a build replaces its folder whole: never what no build wrote
            raise ConfigError(f"{key} {builder.NAME!r}: {folder} holds {held}; building "
                              f"{builder.NAME} there would delete it: move that folder "
                              f"elsewhere (to use it, give its path as {key}), then run again")
        if meta is not None:
            log.warning("rebuilding %s in %s: %s", builder.NAME, folder, reason)
        meta = builder.build(folder, show_progress, cache_dir=cache_dir)
    mark_used(folder / LAST_USED)
    return Backbone(name=builder.NAME, source=str(folder),
                    fingerprint=f"sha256:{meta['weights_sha256']}",
                    query_prefix=meta["query_prefix"], passage_prefix=meta["passage_prefix"],
                    model_kwargs=meta["model_kwargs"], engine=meta.get("engine", TRANSFORMERS))


def _resolve_use(cache_dir: str | os.PathLike | None = None) -> Backbone:
    """USE lives in its installed package; its pinned weights checksum is the fingerprint."""
    try:
        sha = use_multilingual.check_weights(cache_dir)
    except ImportError as exc:
        raise ConfigError(str(exc)) from None
    return Backbone(name=use_multilingual.NAME, source=str(use_multilingual.weights_path()),
                    fingerprint=f"{use_multilingual.ENGINE}:sha256:{sha}",
                    engine=use_multilingual.ENGINE)


def _resolve_folder(name: str, folder: Path, key: str = "model.params.backbone",
                    cache_dir: str | os.PathLike | None = None) -> Backbone:
    """A saved model folder; it may carry our own record (a copied e5-small) or not. A folder
    with `modules.json` is a sentence-transformers model and is computed as one."""
    meta = _folder_record(name, folder, key)
    if not meta and not any((folder / f).is_file() for f in ("config.json", "modules.json")):
        # what every loader reads first; without it transformers fails in a traceback
        weights = ("" if any(p.suffix in WEIGHT_SUFFIXES for p in folder.rglob("*"))
                   else ", no weight files")
        raise ConfigError(f"{key} {name!r}: {folder} is not a model folder (no config.json or "
                          f"modules.json{weights})")
    engine = meta.get("engine") or (SENTENCE_TRANSFORMERS if (folder / "modules.json").is_file()
                                    else TRANSFORMERS)
    if "weights_sha256" in meta:
        fingerprint = f"sha256:{meta['weights_sha256']}"
    else:
        weights = weight_files(folder)
        if not weights:
            raise ConfigError(f"{key} {name!r}: {folder} holds no weight files")
        fingerprint = f"sha256:{files_sha256(weights, cache_dir)}"
    return Backbone(name=name, source=str(folder), fingerprint=fingerprint,
                    query_prefix=meta.get("query_prefix", ""),
                    passage_prefix=meta.get("passage_prefix", ""),
                    model_kwargs=meta.get("model_kwargs", {}), engine=engine)


# what a folder's record sets, and the JSON type each must have
_RECORD_FIELDS = {"query_prefix": str, "passage_prefix": str, "model_kwargs": dict,
                  "engine": str, "weights_sha256": str}


def _folder_record(name: str, folder: Path, key: str) -> dict:
    """The folder's own record (a pretrained or copied backbone), checked: a broken one read
    as none silently dropped the prefixes its model was trained with, a wrong-typed field
    failed in a traceback."""
    path = folder / META_FILE
    if not path.exists():
        return {}
    where = f"{key} {name!r}: {path}"
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where}: line {exc.lineno}: not valid JSON ({exc.msg})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: cannot be read ({exc})") from None
    if not isinstance(meta, dict):
        raise ConfigError(f"{where}: {written_kind(meta)} is not a JSON object")
    for field_name, kind in _RECORD_FIELDS.items():
        if field_name in meta and not isinstance(meta[field_name], kind):
            raise ConfigError(f"{where}: field '{field_name}': {written_kind(meta[field_name])} "
                              f"is not {'a text' if kind is str else 'an object'}")
    return meta


@lru_cache(maxsize=1)
def hub_reachable() -> bool:
    """Whether the Hugging Face endpoint answers at all (any HTTP status), through the proxies
    the environment names. Asked once per process, before the hub client, which retries an
    unreachable host for ~25 s (five warnings) before it gives up."""
    import httpx
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return False
    try:
        httpx.head(constants.ENDPOINT, timeout=HUB_PROBE_SECONDS)
    except (httpx.HTTPError, OSError):
        return False
    return True


def _resolve_hub(name: str, key: str = "model.params.backbone") -> Backbone:
    """A Hugging Face id; the commit its config resolves to stands for the weights. With the
    hub out of reach, the id's snapshot in the local Hugging Face cache is used as a folder (the
    hub client would retry the host for every file it loads: minutes), and an id not there
    fails at once."""
    from huggingface_hub import constants
    from transformers import AutoConfig

    if not hub_reachable():
        return _resolve_cached_hub(name, "HF_HUB_OFFLINE is set" if constants.HF_HUB_OFFLINE else
                                   f"the Hugging Face hub ({constants.ENDPOINT}) cannot be "
                                   "reached from this machine", key)
    try:
        config = AutoConfig.from_pretrained(name)
    except OSError as exc:
        raise ConfigError(f"{key} {name!r}: cannot load from the Hugging Face hub or its "
                          f"cache ({exc}){_not_here_either(name)}; use a local folder or "
                          f"{', '.join(BUILTINS)}") from None
    commit = getattr(config, "_commit_hash", None) or "unknown"
    return Backbone(name=name, source=name, fingerprint=f"hub:{name}@{commit}",
                    engine=_hub_engine(name))


def _resolve_cached_hub(name: str, why: str, key: str = "model.params.backbone") -> Backbone:
    """The id's snapshot folder in the local Hugging Face cache, fingerprinted by its commit as
    when the hub answers, so the caches keyed by it stay valid either way."""
    from huggingface_hub import snapshot_download

    try:
        folder = Path(snapshot_download(name, local_files_only=True))
    except (OSError, ValueError):  # not cached, or not a valid id: the same answer for both
        folder = None
    if folder is None or not (folder / "config.json").is_file():
        raise ConfigError(f"{key} {name!r}: {why} and the model is not in its local cache"
                          f"{_not_here_either(name)}; use a local folder or "
                          f"{', '.join(BUILTINS)}")
    engine = SENTENCE_TRANSFORMERS if (folder / "modules.json").is_file() else TRANSFORMERS
    return Backbone(name=name, source=str(folder), fingerprint=f"hub:{name}@{folder.name}",
                    engine=engine)


def _hub_engine(name: str) -> str:
    """A hub repository with `modules.json` is a sentence-transformers model."""
    from huggingface_hub import hf_hub_download

    try:
        hf_hub_download(name, "modules.json")
    except Exception:  # absent, or not in the offline cache: a plain transformers model
        return TRANSFORMERS
    return SENTENCE_TRANSFORMERS


@contextlib.contextmanager
def loading(backbone: Backbone, source: str | os.PathLike | None = None,
            key: str = "model.params.backbone") -> Iterator[None]:
    """transformers or sentence-transformers failing on a folder they cannot use (a config
    without model_type, a tokenizer or weights file missing or broken) is one ConfigError
    naming the backbone and what was loaded (`source`, else its own), not a traceback."""
    from safetensors import SafetensorError

    try:
        yield
    except (OSError, ValueError, KeyError, RuntimeError, SafetensorError) as exc:
        raise ConfigError(f"{key} {backbone.name!r}: cannot load {source or backbone.source} "
                          f"({one_line_reason(exc)})") from None

