"""Errors a user can act on: each names where the problem is."""

from __future__ import annotations


class ShoprelError(Exception):
    """Base class for errors shown to users without a traceback."""


class InputError(ShoprelError):
    """Bad input data, located by file, line and field."""

    def __init__(
        self,
        message: str,
        path=None,
        line: int | None = None,
        field: str | None = None,
        line_label: str = "line",
    ):
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        self.line_label = line_label
        self.reason = message
        where = []
        if self.path:
            where.append(self.path)
        if line is not None:
            where.append(f"{line_label} {line}")
        if field:
            where.append(f"field '{field}'")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class ConfigError(ShoprelError):
    """A config file or option that cannot be used, naming the bad key."""


class BackboneChangedError(ConfigError):
    """A backbone whose weights are not those a saved model was trained on: its line ends with
    "train it again on these", to which a run that holds the model adds its own command."""


class ConfigValueError(ConfigError, ValueError):
    """A config class built in Python with a wrong value (`RunConfig(folds={"k": 1})`): one
    line as a file's error is, and still a ValueError as pydantic's ValidationError was."""


class RunDirError(ShoprelError):
    """A run directory that is missing files or was made by something else."""


class EngineError(ShoprelError):
    """The engine that scores (Ray) failed on its own account: Ray cannot start, an actor died,
    the object store filled. One line with Ray's reason and where its logs are."""


class OutputError(ShoprelError):
    """An output that would destroy something: an input, a run being read, a folder shoprel
    did not write, or one another process is writing."""


class OutputExistsError(OutputError, FileExistsError):
    """The output exists and --overwrite was not given (a FileExistsError for older callers)."""

    @classmethod
    def at(cls, path) -> OutputExistsError:
        """The one line every output check says it in (the API turns its option into Python's
        words)."""
        return cls(f"{path} already exists (use --overwrite to replace it)")


class Interrupted(KeyboardInterrupt):
    """A stop (Ctrl-C, SIGTERM) after which the command knows what it kept: `note` replaces the
    CLI's general line (an index build keeps its finished parts, for a rerun to go on from)."""

    def __init__(self, note: str):
        super().__init__(note)
        self.note = note


def one_line_reason(exc: BaseException) -> str:
    """Why a library raised, as one short line for a shoprel error: 'TypeName: its message'
    with the message's whitespace squashed and cut at 300 characters (transformers, pyarrow
    and Ray explain over many lines), or just 'TypeName' when it says nothing."""
    text = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
