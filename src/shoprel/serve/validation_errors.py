"""Turn pydantic's validation errors into one clear line plus a safe, short detail list.

The raw errors echo the client's input; that input may be huge or hold lone surrogates that
cannot be encoded, so only locations and messages go back, truncated and escaped.
"""

from __future__ import annotations

from shoprel.data.tasks import REQUEST_FIELDS, Task

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


def _message(error: dict, task: Task, body=None) -> str:
    other = _other_task(error, task)
    if other is not None:
        return (f"'{other.target_column}' is for {other.value} models; this model is "
                f"{task.value} and expects '{task.target_column}'")
    if (field := _file_column(error)) is not None:
        return (f"the API calls this field '{field}' ('{error['loc'][-1]}' is the training "
                "files' column)")
    if error.get("type") == "extra_forbidden":
        return "unknown field"
    if error.get("type") == "json_invalid":
        reason = (error.get("ctx") or {}).get("error")
        where = _json_place(error, body)
        return f"malformed JSON{where}" + (f" ({reason})" if reason else "")
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


def validation_error_body(errors, task: Task, body=None) -> dict:
    """`body`: the request's text as the parser read it (RequestValidationError.body), for
    the line and column of malformed JSON."""
    # a field meant for the other task, or named as in the files, explains the "missing field"
    # next to it: say it first
    errors = sorted(errors, key=lambda e: _other_task(e, task) is None
                    and _file_column(e) is None)
    details = []
    for error in errors[:MAX_DETAILS]:
        loc = [part if isinstance(part, int) else _safe(str(part)) for part in _located(error)]
        details.append({"loc": loc, "msg": _safe(_message(error, task, body), MAX_MESSAGE_CHARS),
                        "type": _safe(str(error.get("type", "invalid")))})
    first = details[0] if details else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"])
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return {"error": f"{where}: {first['msg']}{more}" if where else first["msg"] + more,
            "detail": details}
