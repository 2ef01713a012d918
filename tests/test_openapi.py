"""The OpenAPI document: valid, described, with examples from the seed; a client lives on it."""

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from app.api import examples
from app.api.app import create_app
from app.api.errors import PROBLEM_MEDIA_TYPE
from app.api.openapi import problem_body
from app.api.routes.docs import ASSETS_DIR, REDOC_BUNDLE, REDOC_CDN_LOGO, REDOC_LOGO
from app.ingestion.outcomes import IngestReport
from app.problems import PROBLEM_TYPES
from app.search.query_tree import Column
from app.settings import Settings
from app.store.cursors import Cursor
from app.store.filters import Facet, ListSort, sort_key_types
from tests.conftest import SEEDS
from tests.live import free_port, live_server

README_BASE = "http://127.0.0.1:8000"


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_the_document_validates(spec: dict[str, Any]) -> None:
    validate(spec)


def test_info_explains_byline_and_the_search_syntax(spec: dict[str, Any]) -> None:
    info = spec["info"]
    assert info["title"] == "Byline"
    assert info["version"]
    for needle in ('"allied troops"', "OR", "-Pen", "deploy*", "problem+json", "cursor"):
        assert needle in info["description"], needle


def test_every_operation_is_tagged_summarised_and_described(spec: dict[str, Any]) -> None:
    declared_tags = {tag["name"] for tag in spec["tags"]}
    for name, operation in operations(spec):
        assert operation.get("summary"), name
        assert operation.get("description"), name
        assert operation.get("tags"), name
        assert set(operation["tags"]) <= declared_tags, name


def test_every_parameter_is_described_with_an_example(spec: dict[str, Any]) -> None:
    for name, operation in operations(spec):
        for parameter in operation.get("parameters", []):
            where = f"{name} {parameter['name']}"
            assert parameter.get("description"), where
            assert parameter["schema"].get("examples") or parameter.get("example"), where


def test_every_model_has_an_example(spec: dict[str, Any]) -> None:
    for schema_name, schema in spec["components"]["schemas"].items():
        if schema.get("type") == "object" and schema_name not in {
            "HTTPValidationError",
            "ValidationError",
        }:
            assert schema.get("examples"), schema_name


def in_readme_terms(value: Any) -> Any:
    """A live response as the examples write it: README host, timestamps of the example."""
    if isinstance(value, dict):
        return {
            key: examples.ARTICLE_DETAIL[key]
            if key in ("ingested_at", "updated_at")
            else in_readme_terms(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [in_readme_terms(item) for item in value]
    if isinstance(value, str):
        return value.replace("http://testserver", README_BASE)
    return value


@pytest.mark.parametrize(
    ("url", "example"),
    [
        ("/v1/articles?facets=source,dateline,year", examples.ARTICLE_PAGE),
        ("/v1/articles/1", examples.ARTICLE_DETAIL),
        ("/v1", examples.API_INDEX),
        (
            "/v1/search?q=Macron+troops&limit=1&snippet_words=20&facets=source,dateline,year",
            examples.SEARCH_PAGE,
        ),
        ("/v1/timeline?q=Macron&interval=year", examples.TIMELINE),
    ],
)
def test_examples_are_what_the_api_returns_for_the_seed(
    client: TestClient, seeded: IngestReport, backend: str, url: str, example: dict[str, Any]
) -> None:
    assert in_readme_terms(client.get(url).json()) == example


@pytest.mark.parametrize(
    ("schema_name", "example"),
    [
        ("ArticleSummary", examples.ARTICLE_SUMMARY),
        ("ArticleDetail", examples.ARTICLE_DETAIL),
        ("ArticlePage", examples.ARTICLE_PAGE),
        ("SearchPage", examples.SEARCH_PAGE),
        ("SearchHit", examples.SEARCH_HIT),
        ("RelatedPage", examples.RELATED_PAGE),
        ("RunSummary", examples.RUN_SUMMARY),
        ("Stats", examples.STATS),
        ("IndexStats", examples.INDEX_STATS),
        ("Revision", examples.REVISION),
        ("RevisionList", examples.REVISION_LIST),
        ("ApiIndex", examples.API_INDEX),
        ("Change", examples.CHANGE),
        ("ChangePage", examples.CHANGE_PAGE),
        ("SavedSearch", examples.SAVED_SEARCH),
        ("SavedSearchList", examples.SAVED_SEARCH_LIST),
        ("SavedSearchCreate", examples.SAVED_SEARCH_CREATE),
        ("SearchFilters", examples.SAVED_SEARCH_FILTERS),
        ("Timeline", examples.TIMELINE),
        ("TimelineSeries", examples.TIMELINE_SERIES),
        ("TimelineBucket", examples.TIMELINE_BUCKET),
    ],
)
def test_the_document_shows_examples_with_every_field_the_api_sends(
    spec: dict[str, Any], schema_name: str, example: dict[str, Any]
) -> None:
    """Nulls included (FastAPI drops them): `next`, `next_cursor`, `did_you_mean` show."""
    [shown] = spec["components"]["schemas"][schema_name]["examples"]
    assert shown == example
    assert list(shown) == list(example)  # in the order the API sends them


def test_page_examples_show_their_null_fields(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    search_page = schemas["SearchPage"]["examples"][0]
    assert search_page["next"] is search_page["next_cursor"] is search_page["did_you_mean"] is None
    assert schemas["ArticlePage"]["examples"][0]["next"] is None
    assert schemas["ArticleSummary"]["examples"][0]["published_at"] is None


def problem_examples(spec: dict[str, Any]) -> Iterator[tuple[str, int, str, dict[str, Any]]]:
    """``(operation, status, problem type, example)`` for every problem example shown."""
    for name, operation in operations(spec):
        for status, response in operation["responses"].items():
            content = response.get("content", {}).get(PROBLEM_MEDIA_TYPE)
            if content is not None:
                for kind, example in content.get("examples", {}).items():
                    yield name, int(status), kind, example


def test_each_problem_response_shows_an_example_of_each_kind_it_answers(
    spec: dict[str, Any],
) -> None:
    for name, operation in operations(spec):
        for status, response in operation["responses"].items():
            content = response.get("content", {}).get(PROBLEM_MEDIA_TYPE)
            if content is None:
                continue
            answered = {
                kind.slug
                for kind in PROBLEM_TYPES.values()
                if int(kind.status) == int(status) and kind.description in response["description"]
            }
            assert answered, f"{name} {status}"
            assert set(content.get("examples", {})) == answered, f"{name} {status}"
        assert (
            "unknown-host"
            in operation["responses"]["400"]["content"][PROBLEM_MEDIA_TYPE]["examples"]
        ), name
    for name, status, kind, example in problem_examples(spec):
        assert example["value"]["status"] == status, f"{name} {kind}"
        assert example["value"]["type"] == f"/problems/{kind}", f"{name} {kind}"


def test_every_problem_example_of_the_table_is_shown(spec: dict[str, Any]) -> None:
    shown = {
        (name.split(" ", 1)[1], example["value"]["instance"], example["value"]["detail"])
        for name, _, _, example in problem_examples(spec)
    }
    paths = {
        operation["operationId"]: path
        for path, ops in spec["paths"].items()
        for operation in ops.values()
    }
    for operation_id, table in examples.PROBLEM_EXAMPLES.items():
        for example in table:
            body = problem_body(example)
            assert (paths[operation_id], body["instance"], body["detail"]) in shown, example


REQUEST = re.compile(
    r"The answer to `(?P<method>[A-Z]+) (?P<target>\S+)`(?: with `Host: (?P<host>[^`]+)`)?\."
)


def replay(client: TestClient, example: dict[str, Any]) -> dict[str, Any]:
    """The API's answer to the request the example says it shows."""
    request = REQUEST.fullmatch(example["description"])
    assert request is not None, example["description"]
    headers = {"host": request["host"]} if request["host"] else {}
    response = client.request(request["method"], request["target"], headers=headers)
    assert response.status_code == example["value"]["status"], response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    return body


def test_problem_examples_are_what_the_api_answers(
    client: TestClient, seeded: IngestReport, spec: dict[str, Any]
) -> None:
    # The saved search the examples name.
    saved = {"name": "Macron", "q": "Macron"}
    assert client.post("/v1/saved-searches", json=saved).headers["location"].endswith("/1")
    checked = 0
    for name, _, kind, example in problem_examples(spec):
        if kind == "not-ready":
            continue  # a store that cannot answer: the test below
        if kind == "rate-limited":
            continue  # a client past its rate: tests/test_rate_limits.py
        if kind == "search-timeout":
            # The example shows the default budget; spending it takes a budget too small to meet.
            timeout = 1e-9
            client.app.state.request_timeout = timeout  # type: ignore[attr-defined]
            body = replay(client, example)
            client.app.state.request_timeout = 10.0  # type: ignore[attr-defined]
            body["detail"] = body["detail"].replace(f"budget of {timeout:g} s", "budget of 10 s")
        else:
            body = replay(client, example)
        assert body == example["value"], f"{name} {kind}"
        checked += 1
    assert checked >= 25


def test_not_ready_examples_are_what_the_api_answers(spec: dict[str, Any]) -> None:
    unreachable = f"postgresql+psycopg://127.0.0.1:{free_port()}/byline"
    settings = Settings(database_url=unreachable, seeds_dir=SEEDS, ingest_on_start=False)
    shown = [item for item in problem_examples(spec) if item[2] == "not-ready"]
    assert {name for name, *_ in shown} == {"GET /readyz", "GET /v1/stats"}
    with TestClient(create_app(settings)) as client:
        for name, _, _, example in shown:
            assert replay(client, example) == example["value"], name


@pytest.fixture(scope="module")
def generated_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    """A Python client generated from a live server's /openapi.json, and that server's URL."""
    work = tmp_path_factory.mktemp("client")
    with live_server(f"sqlite:///{work / 'byline.db'}") as base:
        (work / "openapi.json").write_bytes(httpx2.get(f"{base}/openapi.json").content)
        (work / "config.yml").write_text("project_name_override: byline-client\npost_hooks: []\n")
        generator = Path(sys.executable).with_name("openapi-python-client")
        subprocess.run(
            [
                str(generator),
                "generate",
                "--path",
                "openapi.json",
                "--config",
                "config.yml",
                "--meta",
                "none",
                "--output-path",
                "byline_client",
            ],
            cwd=work,
            check=True,
            capture_output=True,
            timeout=120,
        )
        sys.path.insert(0, str(work))
        try:
            import byline_client  # type: ignore[import-not-found]  # noqa: PLC0415

            yield byline_client, base
        finally:
            sys.path.remove(str(work))
            for module in [m for m in sys.modules if m.startswith("byline_client")]:
                del sys.modules[module]


def test_a_generated_client_lists_fetches_and_searches(generated_client: tuple[Any, str]) -> None:
    package, base = generated_client
    from importlib import import_module  # noqa: PLC0415

    list_articles = import_module("byline_client.api.articles.list_articles")
    get_article = import_module("byline_client.api.articles.get_article")
    search_articles = import_module("byline_client.api.search.search_articles")
    with package.Client(base_url=base) as client:
        page = list_articles.sync(client=client)
        [summary] = page.items
        assert summary.slug.startswith("ukraine-france")
        detail = get_article.sync(ref=summary.slug, client=client)
        assert detail.dateline == "LONDON"
        assert len(detail.paragraphs) == 14
        hits = search_articles.sync(q="Macron", client=client)
        assert hits.total == 1
        assert "<mark>Macron</mark>" in hits.items[0].highlight.snippet
        missing = get_article.sync_detailed(ref="999", client=client)
        assert missing.status_code == 404


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_use_only_this_server(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "http://" not in response.text.replace("http://www.w3.org", "")
    assert "https://" not in response.text
    for asset in ("/docs-assets/favicon.png",):
        assert asset in response.text
        assert client.get(asset).status_code == 200


def directives(policy: str) -> dict[str, str]:
    """A Content-Security-Policy's directives, by name."""
    named = (part.strip().partition(" ") for part in policy.split(";"))
    return {name: sources for name, _, sources in named}


def test_swagger_ui_runs_only_its_own_inline_script(client: TestClient) -> None:
    nonces = set()
    for _ in range(2):
        response = client.get("/docs")
        policy = directives(response.headers["content-security-policy"])
        nonce = re.fullmatch(r"'self' 'nonce-([\w-]{22})'", policy["script-src"])
        assert nonce is not None, policy["script-src"]
        assert response.text.count(f'<script nonce="{nonce[1]}">') == 1
        assert response.text.count("<script") == 2  # the bundle, from this origin, and that one
        assert policy["style-src"] == "'self'"
        nonces.add(nonce[1])
    assert len(nonces) == 2  # a nonce is good for one answer


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_may_not_be_framed_nor_leak_their_address(client: TestClient, page: str) -> None:
    response = client.get(page)
    policy = directives(response.headers["content-security-policy"])
    assert policy["frame-ancestors"] == policy["object-src"] == policy["base-uri"] == "'none'"
    assert policy["connect-src"] == "'self'"
    assert "unsafe-eval" not in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"


def test_redoc_runs_no_inline_script(client: TestClient) -> None:
    policy = directives(client.get("/redoc").headers["content-security-policy"])
    assert policy["script-src"] == "'self'"
    # Its bundle adds <style> elements as it loads (tests/test_docs_browser.py: none blocked).
    assert policy["style-src"] == "'self' 'unsafe-inline'"


def test_docs_assets_are_served(client: TestClient) -> None:
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        response = client.get(f"/docs-assets/{name}")
        assert response.status_code == 200
        assert len(response.content) > 10_000


def test_the_redoc_bundle_asks_for_its_logo_from_the_page_not_its_cdn(client: TestClient) -> None:
    shipped = (ASSETS_DIR / REDOC_BUNDLE).read_text(encoding="utf-8")
    assert REDOC_CDN_LOGO in shipped  # else this test checks nothing: the bundle changed
    response = client.get(f"/docs-assets/{REDOC_BUNDLE}")
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    served = response.text
    assert "cdn.redoc.ly" not in served
    assert served.count(f'src:"{REDOC_LOGO}"') == 1
    assert len(served) == len(shipped) - len(REDOC_CDN_LOGO) + len(REDOC_LOGO)
    again = client.get(
        f"/docs-assets/{REDOC_BUNDLE}", headers={"if-none-match": response.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.parametrize(
    ("path", "name", "allowed"),
    [
        ("/v1/articles", "facets", [facet.value for facet in Facet]),
        ("/v1/search", "facets", [facet.value for facet in Facet]),
        ("/v1/search", "search_in", [column.value for column in Column]),
    ],
)
def test_list_parameters_name_their_allowed_values(
    spec: dict[str, Any], path: str, name: str, allowed: list[str]
) -> None:
    [parameter] = [p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == name]
    assert parameter["schema"]["items"]["enum"] == allowed
    for example in parameter["schema"]["examples"]:
        assert set(example) <= set(allowed)


def test_cursor_examples_belong_to_the_sort_they_are_shown_with(spec: dict[str, Any]) -> None:
    checked = 0
    for name, operation in operations(spec):
        parameters = {p["name"]: p for p in operation.get("parameters", [])}
        if "cursor" not in parameters:
            continue
        sort_schema = parameters["sort"]["schema"]
        sorts = {sort_schema.get("default"), *sort_schema.get("examples", [])} - {None}
        sort_enum = spec["components"]["schemas"][sort_schema["$ref"].split("/")[-1]]["enum"]
        for cursor in parameters["cursor"]["schema"]["examples"]:
            for sort in sorts:
                relevance = sort == "relevance"
                key_types = (float, int, int) if relevance else sort_key_types(ListSort(sort))
                Cursor.decode(cursor, sort=sort, key_types=key_types)  # raises if it is not
                checked += 1
        assert set(sorts) <= set(sort_enum), name
    assert checked >= 2
