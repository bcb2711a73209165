"""Request and response shapes; the pair model is built per run so the schema names its task.

A QC run accepts `category_path`, a QI run `item_title`; the other field is rejected (extra
fields are forbidden), so a client sending titles to a category model hears about it.
"""

from typing import Annotated, Literal, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictStr,
    StringConstraints,
    WithJsonSchema,
    create_model,
    model_validator,
)

from shoprel.data.empty_texts import NOT_SCORED
from shoprel.data.repeated_ids import SeenIds
from shoprel.data.tasks import Task
from shoprel.data.validate import (
    checked_id,
    coerce_id,
    unused_label_problem,
    unwritable_reason,
)
from shoprel.predict.cascade import ScorerName
from shoprel.serve.repeated_keys import refusing_repeated_keys
from shoprel.serve.settings import ServeSettings

MAX_LANGUAGE_CHARS = 32
MAX_ID_CHARS = 256


def distinct_keys(what: str) -> dict:
    """A model's validators refusing a key given twice (repeated_keys.py): the body's objects,
    the request and each pair, are where pydantic names the place."""
    return {"distinct_keys": model_validator(mode="before")(refusing_repeated_keys(what))}


def _encodable(value: str) -> str:
    """The files' rule (data/validate.py): JSON may carry lone surrogates, which cannot be
    hashed or echoed back as UTF-8, and NUL characters, which C-based tools cut short."""
    reason = unwritable_reason(value)
    if reason is not None:
        raise ValueError(f"text {reason}")
    return value


def _worded(value: str) -> str:
    """A query or target with no word is refused, not scored: a search page never asks about
    an empty query, and a score for one says nothing. (Files keep such rows and note them,
    data/empty_texts.py, so that every input id gets its prediction; a request gets its
    error at once.) Blank as the files count it: nothing left once stripped."""
    if not value.strip():
        raise ValueError(NOT_SCORED.format("send"))
    return value


def _text(max_chars: int, description: str, worded: bool = False):
    checks = (AfterValidator(_encodable), *([AfterValidator(_worded)] if worded else []))
    # the schema says it too (a character that is no space), for clients and fuzzers; the
    # check is _worded's, in its own words
    shown = {"pattern": r"\S"} if worded else None
    return Annotated[StrictStr, StringConstraints(max_length=max_chars), *checks,
                     Field(description=description, json_schema_extra=shown)]


def _pair_id(value):
    """The files' id rule (data/validate.py checked_id: 7.0 is the id 7, "" is none), in one
    message where a union of a number and a text type would answer with an error per branch,
    and the API's own cap on a text id's length. A text id is echoed back as sent ("7" stays
    text)."""
    key = checked_id(value)
    if isinstance(value, str):
        if len(value) > MAX_ID_CHARS:
            raise ValueError(f"an id text may hold at most {MAX_ID_CHARS} characters, this one "
                             f"holds {len(value):,}")
        return value
    return key


PairId = Annotated[int | str, BeforeValidator(_pair_id)]


def _unused_label(value) -> None:
    """Rows sent as a labelled file holds them: their label, which scoring does not use, is
    taken where it is one (0 or 1, or empty, as predict and Scorer take it) and dropped; any
    other value is a mixed-up pair, refused as predict refuses it at its line."""
    problem = unused_label_problem(value)
    if problem is not None:
        raise ValueError(f"{problem}: a wrong field or a mixed-up pair; check the pair, or send "
                         "its label as null or leave it out")
    return None


# the schema names the label's values as a file writes them (true or "1" are taken as well),
# in one list, which the docs page says as "integer or string or null; one of 0, 1, "", null"
UnusedLabel = Annotated[Literal[0, 1, ""] | None, BeforeValidator(_unused_label),
                        WithJsonSchema({"type": ["integer", "string", "null"],
                                        "enum": [0, 1, "", None]})]


def pair_model(task: Task, settings: ServeSettings) -> type[BaseModel]:
    target_help = ("Category path, levels separated by commas, e.g. "
                   "'home & garden,kitchen,drinkware'." if task is Task.QC
                   else "Product title.")
    return create_model(
        f"{task.value}Pair",
        __config__=ConfigDict(extra="forbid"),
        __validators__=distinct_keys("this pair"),
        query=(_text(settings.max_text_chars, "The shopper's search query, any language; "
                     "not empty or blank.", worded=True), ...),
        **{task.target_column: (_text(settings.max_text_chars, f"{target_help} Not empty or "
                                      "blank.", worded=True), ...)},
        language=(Annotated[StrictStr, StringConstraints(max_length=MAX_LANGUAGE_CHARS),
                            AfterValidator(_encodable)] | None,
                  Field(None, description="Language code of the query, e.g. 'es'; "
                                          "'unk' when left out.")),
        id=(PairId | None,
            Field(None, description="Echoed back; defaults to the pair's position.")),
        translated_query=(_text(settings.max_text_chars, "The query translated (into English), "
                                "as `shoprel translate` writes it; a run trained on translated "
                                "queries translates the query itself when this is left out "
                                "(see bare_queries).") | None, Field(None)),
        label=(UnusedLabel, Field(None, description="Unused: a pair may keep its labelled "
                                                    "file's 0 or 1 (or null, empty), which "
                                                    "scoring ignores. Another value (2, 'yes') "
                                                    "is refused.")),
    )


# pairs from the package's hand-made demo files (shoprel/data/demo), one relevant and one not,
# as a request's example: the docs page sends them in its curl commands, so they must score
EXAMPLE_PAIRS = {
    Task.QC: [{"id": "a", "query": "vestidos mujer", "language": "es",
               "category_path": "women's clothing,dresses"},
              {"id": "b", "query": "camiseta mujer", "language": "es",
               "category_path": "home & garden,kitchen, dining & bar,cookware,pans"}],
    Task.QI: [{"id": "a", "query": "anti colic baby bottle", "language": "en",
               "item_title": "Glass Baby Bottle Anti Colic 150ml 240ml BPA Free Newborn Infant "
                             "Feeding Bottle"},
              {"id": "b", "query": "sérum facial", "language": "es",
               "item_title": "Vitamin C Gummies Immune Support Supplement 60 Pcs"}],
}


def example_request(task: Task, settings: ServeSettings) -> dict:
    """A body this server accepts: the example pairs, as many as one request may hold by
    count and by characters in all (one at least), each text cut to --max-text-chars (at a
    space where there is one: 'Glass Baby' of the 86-character title under a limit of 12)."""
    pairs, total = [], 0
    for example in EXAMPLE_PAIRS[task][:settings.max_pairs]:
        pair = {**example, **{field: cut_text(example[field], settings.max_text_chars)
                              for field in ("query", task.target_column)}}
        total += len(pair["query"]) + len(pair[task.target_column])
        if pairs and total > settings.max_total_chars:
            break
        pairs.append(pair)
    return {"pairs": pairs}


def cut_text(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, ending at a whole word where one fits: never
    blank (its first characters at least), as the server refuses a blank text."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    return head[:head.rfind(" ")].rstrip(" ,") if " " in head.strip() else head


def score_request_model(task: Task, settings: ServeSettings) -> type[BaseModel]:
    pair = pair_model(task, settings)
    target = task.target_column

    def total_chars(pairs: list) -> list:
        total = sum(len(p.query) + len(getattr(p, target)) + len(p.translated_query or "")
                    for p in pairs)
        if total > settings.max_total_chars:
            raise ValueError(f"the pairs' texts hold {total:,} characters; one request may "
                             f"hold {settings.max_total_chars:,} (send fewer pairs per request)")
        return pairs

    def distinct_ids(pairs: list) -> list:
        """As in a file: no two pairs under one id, said as the request wrote it, as the
        readers say a file's (repeated_ids.py: "007" twice is '007', not its key 7; "7" then
        7 in both spellings). A pair without an id goes by its position."""
        seen = SeenIds(text_table=False, line_label="pair")
        for i, p in enumerate(pairs):
            raw = p.id if p.id is not None else i
            key = coerce_id(raw)
            if (repeated := seen.repeat(raw, key, i)) is not None:
                unnamed = p.id is None or pairs[seen.lines[key]].id is None
                fix = ("a pair without an id goes by its position: give each pair an id of "
                       "its own" if unnamed else "send each id once")
                raise ValueError(f"pair {i}: {repeated}; {fix}")
        return pairs

    return create_model(
        f"{task.value}ScoreRequest",
        __config__=ConfigDict(extra="forbid",
                              json_schema_extra={"examples": [example_request(task, settings)]}),
        __validators__=distinct_keys("the body"),
        pairs=(Annotated[list[pair], AfterValidator(total_chars), AfterValidator(distinct_ids)],
               Field(..., min_length=1, max_length=settings.max_pairs,
                     description=f"1 to {settings.max_pairs:,} pairs to score, "
                                 f"{settings.max_total_chars:,} characters in all.")),
    )


def fields_at(model: type[BaseModel], loc) -> tuple[str, ...]:
    """The fields of the object that holds the key at `loc`, as a validation error locates it
    (`("body", "pair")`: the request's; `("body", "pairs", 3, "qurey")`: a pair's); () where
    `loc` leads to no model."""
    for part in loc[1:-1]:
        if isinstance(part, int):  # an item of the list the last field holds
            continue
        field = model.model_fields.get(part)
        annotation = field.annotation if field is not None else None
        if get_origin(annotation) is list:
            annotation = get_args(annotation)[0]
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return ()
        model = annotation
    return tuple(model.model_fields)


class ScoreResult(BaseModel):
    id: int | str
    probability: float = Field(description="Probability that the pair is relevant.")
    label: int = Field(description="1 when probability >= threshold, else 0.")
    threshold: float = Field(description="The cut applied to this pair: its language's when the "
                                         "run has per-language thresholds, else the global one.")


class ModelInfo(BaseModel):
    name: str = Field(description="The run folder served (its name, not its path).")
    trained_name: str = Field(
        description="The name the run recorded when trained (the folder it was written to); "
                    "differs from name where the run was moved or copied since.")
    task: str
    family: str
    version: str = Field(description="Fingerprint of the run's manifest: changes with each run.")
    scorer: ScorerName = Field(
        "full", description="full: the run's models; student: the distilled student it "
                            "carries; cascade: the student, the full model where it is least "
                            "sure.")


class ScoreResponse(BaseModel):
    results: list[ScoreResult]
    threshold: float
    model: ModelInfo
    bare_queries: int = Field(0, description="Pairs scored on their bare query although the "
                                             "run's models were trained on translated ones: "
                                             "no translated_query was sent and none could be "
                                             "made. 0 when the run reads bare queries.")


class Health(BaseModel):
    status: Literal["ok"] = Field(description="Always 'ok': the process answers.")


class Ready(BaseModel):
    status: Literal["ready"] = Field(description="The model is loaded; requests are scored.")
    model: ModelInfo | None = Field(
        None, description="The model it scores with; on a server with an API key, only to a "
                          "request that sends the key.")


class ErrorDetail(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorResponse(BaseModel):
    error: str = Field(description="One line: where the problem is and what it is.")
    detail: list[ErrorDetail] = Field(default_factory=list)
