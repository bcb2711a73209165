"""Turn pydantic's validation errors into one clear line plus a safe, short detail list.

The raw errors echo the client's input; that input may be huge or hold lone surrogates that
cannot be encoded, so only locations and messages go back, truncated and escaped.
"""

from __future__ import annotations

from shoprel.data.tasks import REQUEST_FIELDS, Task
from shoprel.serve.request_wording import house_message
from shoprel.serve.schemas import fields_at
from shoprel.serve.unknown_fields import meant_field, unknown_field_message

MAX_PART_CHARS = 80
MAX_MESSAGE_CHARS = 300
MAX_DETAILS = 20


def _safe(text: str, limit: int = MAX_PART_CHARS) -> str:
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[:limit] + "…"


def _other_task(error: dict, task: Task) -> Task | None:
    """The task a rejected extra field belongs to, when it is the other task's target."""
    loc = error.get("loc") or ()
    if error.get("type") != "extra_forbidden" or not loc:
        return None
    return task.other if loc[-1] == task.other.target_column else None


def _file_column(error: dict) -> str | None:
    """The API's name for a rejected field named as in the training files (origin_query)."""
    loc = error.get("loc") or ()
    if error.get("type") != "extra_forbidden" or not loc:
        return None
    return REQUEST_FIELDS.get(loc[-1])


class Fields:
    """The fields a request's objects hold, to say which one an unknown key stands for."""

    def __init__(self, task: Task, request_model=None, body=None):
        self.task, self.request_model, self.body = task, request_model, body

    def known(self, error: dict) -> tuple[str, ...]:
        loc = error.get("loc") or ()
        return fields_at(self.request_model, loc) if self.request_model is not None else ()

    def present(self, error: dict) -> tuple:
        """The keys the object holding the error's key was sent with."""
        held = self.body
        for part in (error.get("loc") or ())[1:-1]:
            try:
                held = held[part]
            except (KeyError, IndexError, TypeError):
                return ()
        return tuple(held) if isinstance(held, dict) else ()

    def meant(self, error: dict) -> str | None:
        """The field an unknown key stands for: this task's target for the other task's, the
        API's name for the files' one, or the field it misspells."""
        loc = error.get("loc") or ()
        if error.get("type") != "extra_forbidden" or not loc or not isinstance(loc[-1], str):
            return None
        if _other_task(error, self.task) is not None:
            return self.task.target_column
        if (field := _file_column(error)) is not None:
            return field
        return meant_field(loc[-1], self.known(error), self.present(error))

    def explained_first(self, errors) -> list[dict]:
        """`errors` less each missing field that an unknown key beside it stands for (that
        key's line says it), those keys first."""
        meant = [self.meant(error) for error in errors]
        said = {(*(error.get("loc") or ())[:-1], field)
                for error, field in zip(errors, meant, strict=True) if field is not None}
        kept = [(field, error) for error, field in zip(errors, meant, strict=True)
                if error.get("type") != "missing" or tuple(error.get("loc") or ()) not in said]
        return [error for field, error in sorted(kept, key=lambda kept: kept[0] is None)]


def _message(error: dict, task: Task, body=None, fields: Fields | None = None) -> str:
    other = _other_task(error, task)
    if other is not None:
        return (f"'{other.target_column}' is for {other.value} models; this model is "
                f"{task.value} and expects '{task.target_column}'")
    if (field := _file_column(error)) is not None:
        return (f"the API calls this field '{field}' ('{error['loc'][-1]}' is the training "
                "files' column)")
    if error.get("type") == "extra_forbidden":
        fields = fields or Fields(task)
        return unknown_field_message(fields.meant(error), fields.known(error))
    if error.get("type") == "json_invalid":
        reason = (error.get("ctx") or {}).get("error")
        where = _json_place(error, body)
        return f"malformed JSON{where}" + (f" ({reason})" if reason else "")
    if (said := house_message(error, task)) is not None:
        return said
    # a validator's own sentence, without pydantic's "Value error, " in front (as config's lines)
    return str(error.get("msg", "invalid value")).removeprefix("Value error, ")


def _json_place(error: dict, body) -> str:
    """Where in the body the JSON parser stopped: FastAPI locates it as ("body", offset), and
    "body.50" read like pair 50; said as line and column (1-based, as json's own message and
    editors count), or as the character when the body text is not at hand."""
    offset = (error.get("loc") or ())[-1:]
    if not offset or not isinstance(offset[0], int):
        return ""
    offset = offset[0]
    if isinstance(body, str) and 0 <= offset <= len(body):
        line = body.count("\n", 0, offset) + 1
        column = offset - body.rfind("\n", 0, offset)
        return f" at line {line}, column {column}"
    return f" at character {offset + 1}"


def _located(error: dict) -> list:
    """The error's place as the details give it: a malformed body's offset is said in its
    message (_json_place), not as a part of the path."""
    loc = list(error.get("loc") or ())
    return loc[:1] if error.get("type") == "json_invalid" else loc


def validation_error_body(errors, task: Task, body=None, request_model=None) -> dict:
    """`body`: the request's text as the parser read it (RequestValidationError.body), for
    the line and column of malformed JSON, or the object it read, for the keys an object was
    sent with. `request_model`: the score request's model, for the fields an unknown key may
    stand for."""
    fields = Fields(task, request_model, body)
    # a key meant for the other task, named as in the files or misspelled says which field it
    # stands for: it is said first, and that field's "missing" not apart
    errors = fields.explained_first(errors)
    details = []
    for error in errors[:MAX_DETAILS]:
        loc = [part if isinstance(part, int) else _safe(str(part)) for part in _located(error)]
        details.append({"loc": loc, "msg": _safe(_message(error, task, body, fields),
                                                 MAX_MESSAGE_CHARS),
                        "type": _safe(str(error.get("type", "invalid")))})
    first = details[0] if details else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"])
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return {"error": f"{where}: {first['msg']}{more}" if where else first["msg"] + more,
            "detail": details}
