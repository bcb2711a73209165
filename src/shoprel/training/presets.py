"""The preset run configs shipped inside the package (shoprel/configs/*.yaml; the checkout's
configs/ is a link to them): named alone (`--config fast`) they are read from there, so an
installed shoprel, or one run outside the checkout, has them too, where `configs/fast.yaml`
named a file only a checkout holds.
"""

from __future__ import annotations

from pathlib import Path

PRESETS_DIR = Path(__file__).resolve().parent.parent / "configs"
SUFFIX = ".yaml"


def preset_names() -> list[str]:
    """The presets' names, sorted: the file names less .yaml."""
    return sorted(path.stem for path in PRESETS_DIR.glob(f"*{SUFFIX}"))


def config_path(path: str | Path) -> Path:
    """The config file `path` names: a file there where one is (a path is a path), else, for
    a bare name (`fast`, `fast.yaml`: no folder) that names a preset, the packaged preset;
    else the path as given, which its reader finds missing."""
    given = Path(path).expanduser()
    if given.exists() or given.name != str(path):
        return given
    name = given.name[:-len(SUFFIX)] if given.name.endswith(SUFFIX) else given.name
    return PRESETS_DIR / f"{name}{SUFFIX}" if name in preset_names() else given


def names_preset(path: str | Path) -> bool:
    """Whether `path` is a preset's bare name (no file of that name here): a preset is not the
    user's to edit, so what it sets is changed by an option, not by its key in the file."""
    return config_path(path) != Path(path).expanduser()


def presets_said() -> str:
    """What a missing config file's error adds: the presets, named alone."""
    return f"a preset shipped with shoprel is named alone: {', '.join(preset_names())}"
