"""The API's documentation as one self-contained HTML page, rendered from its OpenAPI schema.

FastAPI's Swagger UI and ReDoc pages load their scripts and styles from a CDN: on a machine
without internet (where `shoprel serve` often runs) they are blank. This page loads nothing:
no script, no external style, font or image; only an inline style sheet. It reads the same
schema as /openapi.json, so the limits it shows are the server's own settings.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Mapping
from typing import Any

from shoprel.utils.html_text import esc

REF_PREFIX = "#/components/schemas/"

STYLE = """
body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:62rem;padding:1rem;color:#1a1a1a}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #ccc}
h3{margin-top:1.6rem}code,pre{font-family:ui-monospace,monospace;font-size:.9em}
pre{background:#f4f4f4;padding:.7rem;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top;
overflow-wrap:break-word}td:last-child{overflow-wrap:anywhere}
th{background:#f4f4f4}.method{font-weight:bold;font-family:ui-monospace,monospace}
.muted{color:#555}
"""


def anchor(method: str, path: str) -> str:
    return f"{method}-{path.strip('/').replace('/', '-').replace('.', '-') or 'root'}"


def model_name(ref: str) -> str:
    return ref.removeprefix(REF_PREFIX)


def branches(schema: Mapping) -> list[Mapping]:
    """A field's schema and, for `X | None` and other unions, each of its alternatives: the
    description and limits may sit on either."""
    return [schema, *schema.get("anyOf", []), *schema.get("oneOf", [])]


def type_html(schema: Mapping) -> str:
    """A field's type in words, models linked to their tables."""
    if "$ref" in schema:
        name = model_name(schema["$ref"])
        return f'<a href="#schema-{esc(name)}">{esc(name)}</a>'
    union = schema.get("anyOf") or schema.get("oneOf")
    if union:
        return " or ".join(type_html(s) for s in union)
    kind = schema.get("type")
    if kind == "array":
        return f"array of {type_html(schema.get('items', {}))}"
    if isinstance(kind, list):
        return " or ".join(esc(k) for k in kind)
    return esc(kind) if kind else "any JSON"


def limits_html(schema: Mapping) -> str:
    """Bounds, pattern, choices and default of a field, in words (from every union branch)."""
    parts = []
    for s in branches(schema):
        if "minLength" in s or "maxLength" in s:
            parts.append(bounds(s.get("minLength"), s.get("maxLength"), "characters"))
        if "minItems" in s or "maxItems" in s:
            parts.append(bounds(s.get("minItems"), s.get("maxItems"), "items"))
        if "minimum" in s or "maximum" in s:
            parts.append(bounds(s.get("minimum"), s.get("maximum"), "(value)"))
        if "pattern" in s:
            parts.append(f"matches the pattern <code>{esc(s['pattern'])}</code>")
        if "const" in s:
            parts.append(f"always <code>{esc(json.dumps(s['const']))}</code>")
        if "enum" in s:
            # as JSON, as a const is: the text "" is seen, and "0" told from 0
            parts.append("one of " + ", ".join(f"<code>{esc(json.dumps(v))}</code>"
                                               for v in s["enum"]))
    if "default" in schema and schema["default"] is not None:
        parts.append(f"default <code>{esc(json.dumps(schema['default']))}</code>")
    return "; ".join(parts)


def bounds(low: Any, high: Any, unit: str) -> str:
    def n(x):
        return f"{x:,}" if isinstance(x, int) else esc(x)
    if low is not None and high is not None:
        return f"{n(low)} to {n(high)} {unit}"
    return f"at least {n(low)} {unit}" if high is None else f"at most {n(high)} {unit}"


def description(schema: Mapping) -> str:
    return next((s["description"] for s in branches(schema) if s.get("description")), "")


def refs(schema: Any) -> Iterable[str]:
    """Every model a schema names, at any depth."""
    if isinstance(schema, Mapping):
        if "$ref" in schema:
            yield model_name(schema["$ref"])
        for value in schema.values():
            yield from refs(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from refs(value)


def reachable(names: Iterable[str], models: Mapping[str, Mapping]) -> list[str]:
    """The models `names` lead to, themselves first, each once, in reading order."""
    order: list[str] = []
    todo = list(names)
    while todo:
        name = todo.pop(0)
        if name in order or name not in models:
            continue
        order.append(name)
        todo.extend(refs(models[name]))
    return order


def model_table(name: str, schema: Mapping) -> str:
    required = set(schema.get("required", []))
    rows = "".join(
        f"<tr><td><code>{esc(field)}</code><br><span class=\"muted\">"
        f"{'required' if field in required else 'optional'}</span></td>"
        f"<td>{type_html(s)}</td><td>{esc(description(s))}"
        + (f"<br><i>{limits}</i>" if (limits := limits_html(s)) else "") + "</td></tr>"
        for field, s in schema.get("properties", {}).items())
    extra = ("" if schema.get("additionalProperties", True) is not False
             else '<p class="muted">Other fields are refused.</p>')
    intro = f"<p>{esc(schema['description'])}</p>" if schema.get("description") else ""
    return (f'<h4 id="schema-{esc(name)}"><code>{esc(name)}</code></h4>{intro}<table>'
            "<tr><th>field</th><th>type</th><th>meaning and limits</th></tr>"
            f"{rows}</table>{extra}")


def json_body(operation: Mapping) -> tuple[Mapping | None, Any]:
    """The JSON request body's schema and its media type's example (None where either is
    missing; example_of reads the model's own examples)."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None, None
    schema = content.get("schema", {})
    return schema, content.get("example")


def example_of(schema: Mapping | None, models: Mapping[str, Mapping]) -> Any:
    if schema is None:
        return None
    target = models.get(model_name(schema["$ref"]), {}) if "$ref" in schema else schema
    examples = target.get("examples") or []
    return examples[0] if examples else None


def in_field_order(value: Any, schema: Mapping, models: Mapping[str, Mapping]) -> Any:
    """An example with each object's keys in its model's field order (the schema generator
    sorts an example's keys by name, which put `query` after the target)."""
    if "$ref" in schema:
        schema = models.get(model_name(schema["$ref"]), {})
    if isinstance(value, list):
        return [in_field_order(v, schema.get("items", {}), models) for v in value]
    if not isinstance(value, dict):
        return value
    fields = schema.get("properties", {})
    order = [*(k for k in fields if k in value), *(k for k in value if k not in fields)]
    return {k: in_field_order(value[k], fields.get(k, {}), models) for k in order}


def curl(method: str, url: str, body: Any, auth: bool) -> str:
    """A command that sends this request as it stands, for a POSIX shell: the body's
    apostrophes are JSON escapes (\\u0027), so single quotes hold it as it is."""
    parts = ["curl -sS " + ("" if method == "get" else f"-X {method.upper()} ")
             + shlex.quote(url)]
    if auth:
        parts.append('-H "Authorization: Bearer $SHOPREL_API_KEY"')
    if body is not None:
        text = json.dumps(body, ensure_ascii=False, indent=2).replace("'", "\\u0027").replace(
            "\n", "\n  ")
        parts += ["-H 'Content-Type: application/json'", f"-d '{text}'"]
    return " \\\n  ".join(parts)


def responses_table(operation: Mapping) -> str:
    rows = []
    for code, answer in sorted(operation.get("responses", {}).items()):
        content = answer.get("content") or {}
        bodies = [f"<code>{esc(kind)}</code>" + (f" {type_html(spec['schema'])}"
                                                  if spec.get("schema") else "")
                  for kind, spec in content.items()]
        rows.append(f"<tr><td>{esc(code)}</td><td>{esc(answer.get('description', ''))}</td>"
                    f"<td>{'<br>'.join(bodies) or '–'}</td></tr>")
    return ("<table><tr><th>status</th><th>meaning</th><th>body</th></tr>"
            f"{''.join(rows)}</table>")


def endpoint_section(path: str, method: str, operation: Mapping,
                     models: Mapping[str, Mapping], shown: set[str], base_url: str,
                     auth: bool) -> str:
    """One route: what it does, its request body's fields (models not yet shown), its answers
    and a curl command with a body the server accepts."""
    out = [f'<h3 id="{anchor(method, path)}"><span class="method">{esc(method.upper())}</span> '
           f"<code>{esc(path)}</code></h3>",
           f"<p>{esc(operation.get('summary', ''))}</p>"]
    if operation.get("description"):
        out.append(f"<p>{esc(operation['description'])}</p>")
    schema, example = json_body(operation)
    if schema is not None:
        out.append(f"<p>Request body (<code>application/json</code>): {type_html(schema)}</p>")
        for name in reachable(refs(schema), models):
            if name not in shown:
                shown.add(name)
                out.append(model_table(name, models[name]))
        example = in_field_order(example if example is not None else example_of(schema, models),
                                 schema, models)
    out.append("<p>Answers:</p>" + responses_table(operation))
    out.append("<p>Example:</p><pre>"
               f"{esc(curl(method, base_url.rstrip('/') + path, example, auth))}</pre>")
    return "".join(out)


def needs_credentials(operation: Mapping, schema: Mapping) -> bool:
    """Whether the schema asks a credential of this operation: its own `security`, else the
    document's; an empty requirement ({}) among the alternatives lets a caller send none."""
    requirements = operation.get("security", schema.get("security", []))
    return bool(requirements) and all(requirements)


def render_docs(schema: Mapping, base_url: str, other_routes: Mapping[str, str] | None = None,
                other_key_paths: Iterable[str] = ()) -> str:
    """The page for `schema` (an app's OpenAPI document) served at `base_url`; an operation
    needs the API key where the schema's `security` says so (the header in its example);
    `other_routes`: GET paths outside the schema (this page, the schema itself), with what
    each is; `other_key_paths`: those of them that need the key."""
    other_routes = other_routes or {}
    info = schema.get("info", {})
    models = schema.get("components", {}).get("schemas", {})
    operations = [(path, method, operation) for path, item in schema.get("paths", {}).items()
                  for method, operation in item.items()]
    keyed = {(path, method) for path, method, op in operations if needs_credentials(op, schema)}
    key_paths = {*other_key_paths, *(path for path, _ in keyed)}
    shown: set[str] = set()
    sections = [endpoint_section(path, method, op, models, shown, base_url,
                                 (path, method) in keyed)
                for path, method, op in operations]
    rest = [name for name in reachable((n for _, _, op in operations for n in refs(op)), models)
            if name not in shown]
    index = "".join(f'<li><a href="#{anchor(method, path)}"><span class="method">'
                    f"{esc(method.upper())}</span> <code>{esc(path)}</code></a> "
                    f"{esc(op.get('summary', ''))}</li>" for path, method, op in operations)
    index += "".join(f'<li><span class="method">GET</span> <code>{esc(path)}</code> '
                     f"{esc(what)}</li>" for path, what in other_routes.items())
    auth = ("<p>This server has an API key: every path but "
            + ", ".join(f"<code>{esc(p)}</code>" for p in sorted(
                ({p for p, _, _ in operations} | set(other_routes)) - key_paths))
            + " needs the header <code>Authorization: Bearer KEY</code> (the examples read it "
              "from <code>$SHOPREL_API_KEY</code>).</p>") if key_paths else ""
    title = f"{info.get('title', 'API')} {info.get('version', '')}".strip()
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{esc(title)}</h1><p>{esc(info.get('description', ''))}</p>{auth}"
        '<p class="muted">This page is served by the server itself and loads nothing else. The '
        'same description, machine-readable: <a href="openapi.json">/openapi.json</a> '
        "(OpenAPI " + esc(schema.get("openapi", "")) + ").</p>"
        f"<h2>Endpoints</h2><ul>{index}</ul>{''.join(sections)}"
        + (f"<h2>Response models</h2>{''.join(model_table(n, models[n]) for n in rest)}"
           if rest else "")
        + "</body></html>")
