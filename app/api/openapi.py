"""The OpenAPI document: the API's description and tags, what FastAPI generates, completed with
what it cannot say itself.

- Each error response shows an example of every problem type it answers (app/api/examples.py),
  made as the API makes it.
- Every operation declares the ``400`` that ``Edge`` answers for a foreign ``Host``.
- The API-key schemes are declared whatever the ``api_keys`` setting (the docs' Authorize
  button); the document requires them (``security``), with their ``401``, only when the
  server does, and the routes guarded by a scope (``require_scope``) show their ``403``.
- FastAPI drops every null from the document, the examples' too, so ``next: null`` would never
  show: each model's examples are put back as the model holds them.
"""

import copy
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from app.api.authentication import (
    BEARER_SCHEME,
    HEADER_SCHEME,
    MISSING_KEY,
    ApiKeysMode,
    bearer_key,
    guarded,
    header_key,
    scope_refused,
)
from app.api.errors import PROBLEM_MEDIA_TYPE, Problem, problem_responses, problem_schemas
from app.api.examples import PROBLEM_EXAMPLES, ProblemExample, rate_limited, unknown_host
from app.api.links import PROBE_PATHS
from app.api.query_params import SCHEMAS as QUERY_SCHEMAS
from app.api.rate_limits import RATE_LIMIT_HEADERS
from app.problems import (
    PROBLEM_TYPES,
    ApiKeyRequired,
    InsufficientScope,
    InvalidApiKey,
    ProblemError,
    RateLimited,
    UnknownHost,
    problem_type_uri,
)
from app.store.api_keys import ApiKey, KeyScope, check_key_form

DESCRIPTION = """
Byline serves a corpus of news articles as JSON: list them, fetch one by id or slug, read the text
as it was received, and search them all with ranked, highlighted full-text search.

**Paging.** Lists are keyset-paged: follow `next` (or the `Link: <…>; rel="next"` header), or
pass `next_cursor` back as `cursor`. Page 5,000 costs what page 1 costs.

**Search syntax** (`q` of `/v1/search`):

| you write | it finds |
|---|---|
| `troops Macron` | articles with all the words |
| `"allied troops"` | the exact phrase |
| `Paris OR Kyiv` | either word (`OR` in capitals joins the words beside it) |
| `Macron -Pen`, `Macron -"Le Pen"` | articles without the word or phrase |
| `deploy*` | words starting with the prefix |
| `Macron (Berlin OR Brussels)` | parentheses group (a group can be excluded with `-`) |
| `title:Macron`, `body:"red lines"` | the word, phrase or group in that field only |

`search_in=title` limits the words that name no field. Matching ignores case and accents
(`Mélenchon` = `Melenchon`) and stems English words (`troop`
finds `troops`). Spellings of a name find each other (`Zelensky`, `Zelenskyy`, `Zelenskiy`;
`Gaddafi`, `Qaddafi`): `query.expanded` shows the variants added, `fuzzy=false` turns them off,
and a word the corpus holds rarely gets a fix in `did_you_mean` (its search in
`did_you_mean_url`) when a word an edit or two away is far more frequent. Anything else is plain
text, never an operator. Hits are ranked by BM25 with a
word in the headline weighing five times a word in the body. Highlights are HTML in which the
article's own text is escaped, so the only markup is `<mark>`.

**Errors** are RFC 9457 `application/problem+json` documents; `GET` their `type` for what it means.
"""

TAGS = [
    {"name": "index", "description": "Where the API starts: its entry points."},
    {"name": "articles", "description": "The stored articles: list, fetch, raw text."},
    {"name": "search", "description": "Ranked full-text search with highlights."},
    {
        "name": "changes",
        "description": "The change stream: every article added, updated and removed, in order.",
    },
    {
        "name": "feeds",
        "description": "Any list or search as an Atom or JSON Feed 1.1 feed, newest first.",
    },
    {
        "name": "saved searches",
        "description": "Searches kept under a name, with their feeds and what matched since.",
    },
    {"name": "health", "description": "Liveness and readiness probes."},
    {"name": "problems", "description": "What each error `type` means."},
]


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of ``app``."""
    document = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        license_info=app.license_info,
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(problem_schemas())
    schemas.update(QUERY_SCHEMAS)
    _restore_model_examples(schemas)
    mode: ApiKeysMode = getattr(app.state, "api_keys", "off")
    _declare_key_schemes(document, mode=mode)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            _declare_unknown_host(operation)
            example_path = _example_path(path, operation)
            examples = [*PROBLEM_EXAMPLES.get(operation["operationId"], ())]
            # Those every operation answers, asked with its own method.
            answered = [*_declare_key_problems(path, operation, mode=mode)]
            answered.append(unknown_host(example_path))
            if path not in PROBE_PATHS:
                _declare_rate_limited(operation)
                answered.append(rate_limited(example_path))
            examples += [replace(example, method=method.upper()) for example in answered]
            for example in examples:
                _show_problem_example(operation, example)
    return document


def _declare_key_schemes(document: dict[str, Any], *, mode: ApiKeysMode) -> None:
    """The two ways of sending a key, required (or optional: ``{}``) as the server asks."""
    schemes = document["components"].setdefault("securitySchemes", {})
    for scheme in (bearer_key, header_key):
        schemes[scheme.scheme_name] = jsonable_encoder(
            scheme.model, by_alias=True, exclude_none=True
        )
    either: list[dict[str, list[str]]] = [{BEARER_SCHEME: []}, {HEADER_SCHEME: []}]
    if mode == "required":
        document["security"] = either
    elif mode == "optional":
        document["security"] = [{}, *either]


def _declare_key_problems(
    path: str, operation: dict[str, Any], *, mode: ApiKeysMode
) -> tuple[ProblemExample, ...]:
    """Declare the ``401`` and ``403`` an operation answers under ``mode``; their examples."""
    scoped = "security" in operation  # require_scope's schemes
    if mode == "off" or not (guarded(path) or scoped):
        if mode != "off":
            operation["security"] = []  # open whatever the server asks
        return ()
    request = _example_path(path, operation)
    kinds: list[type[ProblemError]] = [InvalidApiKey]
    shown = [ProblemExample(InvalidApiKey.slug, "A malformed key", request, _malformed())]
    if mode == "required" or scoped:
        kinds.insert(0, ApiKeyRequired)
        shown.insert(0, ProblemExample(ApiKeyRequired.slug, "No key", request, MISSING_KEY))
    unauthorized = problem_responses(kinds[0], validated=False)[401]
    unauthorized["description"] = " Or: ".join(kind.description for kind in kinds)
    operation["responses"]["401"] = unauthorized
    if scoped:
        operation["responses"]["403"] = problem_responses(InsufficientScope, validated=False)[403]
        reader = ApiKey(id=1, name="newsroom", scope=KeyScope.READ, rate_per_minute=None)
        detail = scope_refused(reader, KeyScope.ADMIN).detail
        shown.append(ProblemExample(InsufficientScope.slug, "A read key", request, detail))
    return tuple(shown)


def _malformed() -> str:
    """The detail of a malformed key's 401."""
    try:
        check_key_form("")
    except InvalidApiKey as refused:
        return refused.detail
    raise AssertionError("an empty key has a key's form")


def problem_body(example: ProblemExample) -> dict[str, Any]:
    """The problem+json body the API answers ``example.request`` with."""
    kind = PROBLEM_TYPES[example.kind]
    problem = Problem(
        type=problem_type_uri(kind),
        title=kind.title,
        status=kind.status,
        detail=example.detail,
        instance=urlsplit(example.request).path,
        errors=list(example.errors) or None,
    )
    body: dict[str, Any] = problem.model_dump(mode="json", exclude_none=True)
    return body


def _show_problem_example(operation: dict[str, Any], example: ProblemExample) -> None:
    kind = PROBLEM_TYPES[example.kind]
    response = operation["responses"].get(str(int(kind.status)))
    if response is None:  # tests/test_openapi.py: every example is shown where it belongs
        return
    request = f"`{example.method} {example.request}`"
    if example.host:
        request += f" with `Host: {example.host}`"
    response["content"][PROBLEM_MEDIA_TYPE].setdefault("examples", {})[kind.slug] = {
        "summary": example.summary,
        "description": f"The answer to {request}.",
        "value": problem_body(example),
    }


def _example_path(path: str, operation: dict[str, Any]) -> str:
    """``path`` with each of its parameters given its first example."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            value = (parameter["schema"].get("examples") or [parameter.get("example")])[0]
            path = path.replace(f"{{{parameter['name']}}}", str(value))
    return path


def _declare_unknown_host(operation: dict[str, Any]) -> None:
    """Declare the 400 that ``Edge`` answers for a foreign ``Host`` (app/api/hosts.py)."""
    declared_here = problem_responses(UnknownHost, validated=False)[400]
    declared = operation["responses"].setdefault("400", declared_here)
    if declared is not declared_here:
        declared["description"] += f" Or: {declared_here['description']}"


def _declare_rate_limited(operation: dict[str, Any]) -> None:
    """Declare the 429 that ``Admission`` answers past a client's rate, with its headers."""
    declared = problem_responses(RateLimited, validated=False)[429]
    declared["headers"] = copy.deepcopy(RATE_LIMIT_HEADERS)
    operation["responses"].setdefault("429", declared)


def _restore_model_examples(schemas: dict[str, Any]) -> None:
    """Each component's examples as its model holds them, nulls included."""
    models = _models_by_name()
    for name, schema in schemas.items():
        model = models.get(name)
        extra = model.model_config.get("json_schema_extra") if model else None
        if "examples" in schema and isinstance(extra, dict) and "examples" in extra:
            schema["examples"] = copy.deepcopy(extra["examples"])


def _models_by_name() -> dict[str, type[BaseModel]]:
    """This application's models by class name (the name FastAPI gives their schemas); a name
    two models share is left out, as FastAPI then names their schemas otherwise."""
    found: dict[str, list[type[BaseModel]]] = {}
    pending: list[type[BaseModel]] = [BaseModel]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if model.__module__.split(".")[0] == "app":
            found.setdefault(model.__name__, []).append(model)
    return {name: models[0] for name, models in found.items() if len(set(models)) == 1}
