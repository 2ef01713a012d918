"""Saved searches' webhooks: URLs checked when saved (422 naming the field) and before each
delivery (no request to internal addresses unless allowed), deliveries signed as Standard
Webhooks has it and checked with the README's snippet, retried with backoff, recorded and
listed, resumed after a restart; all against a real receiver on loopback and a real server, on
both stores."""

import http.server
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.alerts.destinations import Refused, WebhookPolicy
from app.alerts.matching import match_arrivals
from app.alerts.signatures import new_secret, signature
from app.api.schemas import SearchHit
from app.api.webhook_payloads import delivery_body
from app.ingestion.run import ingest_paths
from app.store.arrival_matches import RoundOutcome, record_round
from app.store.readers import open_reader
from tests.conftest import Ingest
from tests.factories import generated_article
from tests.live import free_port, live_server

ROOT = Path(__file__).resolve().parent.parent
PATH = "/v1/saved-searches"
HARBOUR = {"name": "Harbour in Paris", "q": "harbour", "filters": {"dateline": ["PARIS"]}}
PARIS = ["Report number 1 on harbour works", "Report number 6 on harbour works"]


def readme_verify() -> Any:
    """The README's signature check, run as a receiver would run it."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("**Checking a webhook's signature.**") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    scope: dict[str, Any] = {}
    exec(code.group(1), scope)
    return scope["verify"]


def test_signatures_are_standard_webhooks_ones() -> None:
    # The specification's own example (standard-webhooks, its libraries' tests).
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    made = signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert made == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    verify = readme_verify()
    now = int(time.time())
    headers = {
        "webhook-id": "7",
        "webhook-timestamp": str(now),
        "webhook-signature": "v1,bm90IGl0 " + signature(secret, "7", now, body),
    }
    assert verify(secret, headers, body)
    assert not verify(secret, headers, body + b" ")
    assert not verify(new_secret(), headers, body)
    old = {**headers, "webhook-timestamp": str(now - 3600)}
    old["webhook-signature"] = signature(secret, "7", now - 3600, body)
    assert not verify(secret, old, body)  # a replay


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://hooks.example.org/x", "must be an http:// or https:// URL"),
        ("hooks.example.org/x", "must be an http:// or https:// URL"),
        ("http://user:password@hooks.example.org/x", "must not hold credentials"),
        ("http:///x", "names no host"),
        ("http://127.0.0.1:9/x", "internal address"),
        ("http://[::1]/x", "internal address"),
        ("http://10.1.2.3/x", "internal address"),
        ("http://169.254.169.254/latest/meta-data", "internal address"),
        ("http://[::ffff:127.0.0.1]/x", "internal address"),
        ("http://hooks.example.org:99999/x", "not a URL"),
        ("https://93.184.216.34/\x01", "not a URL"),
        ("http://localhost:8000/x", "internal address"),  # a name, resolved when saved
        ("http://2130706433/x", "internal address"),  # 127.0.0.1 as a number
        ("http://[64:ff9b::a00:5]/x", "internal address"),  # NAT64 to 10.0.0.5
        ("http://[2002:a9fe:a9fe::]/x", "internal address"),  # 6to4 of 169.254.169.254
    ],
)
def test_a_webhook_url_not_allowed_is_a_422_naming_the_field(
    client: TestClient, url: str, why: str
) -> None:
    response = client.post(PATH, json={**HARBOUR, "webhook_url": url})
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [error["name"] for error in errors] == ["webhook_url"]
    assert why in errors[0]["detail"]
    assert client.get(PATH).json() == {"items": []}  # nothing saved


def test_a_saved_webhook_is_shown_whole_once(client: TestClient) -> None:
    url = "https://hooks.example.org/services/T0KEN/abc?x=1"
    created = client.post(PATH, json={**HARBOUR, "webhook_url": url})
    assert created.status_code == 201, created.text
    saved = created.json()
    assert saved["webhook_url"] == url
    assert saved["webhook_secret"].startswith("whsec_")
    shown = client.get(saved["url"]).json()
    assert shown["webhook_url"] == "https://hooks.example.org/…"
    assert shown["webhook_secret"] is None
    assert client.get(PATH).json()["items"] == [shown]
    plain = client.post(PATH, json=HARBOUR).json()
    assert plain["webhook_url"] is None
    assert plain["webhook_secret"] is None


def test_the_policy_judges_the_addresses_a_name_resolves_to() -> None:
    default = WebhookPolicy([])
    assert default.check_url("https://localhost/x")[1] == "localhost"  # a name: judged when sent
    with pytest.raises(Refused, match="internal address"):
        default.destination("https://localhost/x")
    listed = WebhookPolicy(["localhost", "10.0.0.0/8", "*.example.org"])
    assert listed.destination("http://localhost:8080/x").port == 8080
    assert listed.check_url("http://10.9.8.7/x")[1] == "10.9.8.7"
    assert listed.check_url("https://a.b.example.org/x")[1] == "a.b.example.org"
    assert default.check_url("https://bücher.example/x")[1] == "xn--bcher-kva.example"
    for refused in ("http://192.168.0.1/x", "https://example.com/x", "http://8.8.8.8/"):
        with pytest.raises(Refused, match="not among the hosts"):
            listed.check_url(refused)


class Receiver:
    """A webhook receiver on loopback: answers each POST with the next of ``statuses`` (the
    last one again once they run out), after ``delay`` seconds, and keeps what came."""

    def __init__(self, statuses: list[int], *, delay: float = 0.0, port: int = 0) -> None:
        self.statuses = statuses
        self.delay = delay
        self.port = port or free_port()
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.server: http.server.ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/byline?token=t0k"

    @contextmanager
    def running(self) -> Iterator["Receiver"]:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                headers = {name.lower(): value for name, value in self.headers.items()}
                receiver.received.append((headers, body))
                time.sleep(receiver.delay)
                count = len(receiver.received)
                status = receiver.statuses[min(count, len(receiver.statuses)) - 1]
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()

    def wait_for(self, count: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"{len(self.received)} of {count} POSTs came"
            time.sleep(0.05)


def write(folder: Path, *numbers: int) -> None:
    for number in numbers:
        generated_article(number).write(folder, f"article-{number}.txt")


def wait_for_state(url: str, states: list[str], timeout: float = 20.0) -> list[dict[str, Any]]:
    """The deliveries at ``url`` once their states are ``states`` (newest first)."""
    deadline = time.monotonic() + timeout
    while True:
        items: list[dict[str, Any]] = httpx2.get(url).json()["items"]
        if [item["state"] for item in items] == states:
            return items
        assert time.monotonic() < deadline, items
        time.sleep(0.05)


SENDING = {
    "BYLINE_INGEST_ON_START": "false",
    "BYLINE_WEBHOOK_HOSTS": "127.0.0.1",
    "BYLINE_WEBHOOK_RETRY_SECONDS": "0.2",
    "BYLINE_WEBHOOK_TIMEOUT": "1",
}


def test_matches_are_posted_signed_and_retried(
    database_url: str, tmp_path: Path, engine: Engine
) -> None:
    receiver = Receiver([500, 200])
    with receiver.running(), live_server(database_url, **SENDING) as base:
        created = httpx2.post(f"{base}{PATH}", json={**HARBOUR, "webhook_url": receiver.url})
        assert created.status_code == 201, created.text
        saved = created.json()
        secret = saved["webhook_secret"]
        write(tmp_path, *range(1, 8))
        started = time.monotonic()
        Ingest(engine)(tmp_path)
        ingested = time.monotonic() - started
        receiver.wait_for(2)
        (first, body), (again, same) = receiver.received
        # The same delivery twice: the same id, body and signature scheme, each verified.
        assert first["webhook-id"] == again["webhook-id"]
        assert body == same
        verify = readme_verify()
        assert verify(secret, first, body)
        assert verify(secret, again, same)
        assert first["content-type"] == "application/json"
        assert first["host"] == f"127.0.0.1:{receiver.port}"
        payload = orjson.loads(body)
        assert payload["event"] == "saved_search.matched"
        assert payload["saved_search"]["id"] == saved["id"]
        assert payload["saved_search"]["url"] == saved["url"]
        titles = [item["article"]["title"] for item in payload["items"]]
        assert titles == PARIS
        assert payload["items"][0]["article"]["url"].startswith(f"{base}/v1/articles/")
        assert "<mark>harbour</mark>" in payload["items"][0]["article"]["highlight"]["title"]
        assert list(payload["items"][0]["article"]) == list(SearchHit.model_fields)
        matches = httpx2.get(saved["matches_url"]).json()["items"]
        assert [item["cursor"] for item in matches] == [item["cursor"] for item in payload["items"]]

        (delivery,) = wait_for_state(saved["deliveries_url"], ["delivered"])
        assert delivery["id"] == int(first["webhook-id"])
        assert [attempt["status"] for attempt in delivery["attempts"]] == [500, 200]
        assert delivery["attempts"][0]["error"] == "answered 500"
        assert delivery["matches"] == 2
        assert delivery["finished_at"] is not None
        assert ingested < 10  # ingestion never waited for the receiver

        # Deleted with its saved search: its deliveries go too.
        assert httpx2.delete(saved["url"]).status_code == 204
        assert httpx2.get(saved["deliveries_url"]).status_code == 404


def test_a_receiver_down_loses_nothing_across_a_restart(
    database_url: str, tmp_path: Path, engine: Engine
) -> None:
    receiver = Receiver([200])
    with live_server(database_url, **SENDING) as base:  # nothing listens at the receiver's port
        saved = httpx2.post(f"{base}{PATH}", json={**HARBOUR, "webhook_url": receiver.url}).json()
        write(tmp_path, *range(1, 8))
        Ingest(engine)(tmp_path)
        deadline = time.monotonic() + 20
        while True:
            (delivery,) = httpx2.get(saved["deliveries_url"]).json()["items"]
            if len(delivery["attempts"]) >= 2:
                break
            assert time.monotonic() < deadline, delivery
            time.sleep(0.05)
        assert delivery["state"] == "pending"
        assert delivery["attempts"][0]["status"] is None
        assert delivery["next_attempt_at"] is not None
    # The server stopped; the receiver comes up; another server sends what waited.
    with receiver.running(), live_server(database_url, **SENDING) as restarted:
        receiver.wait_for(1)
        wait_for_state(saved["deliveries_url"].replace(base, restarted), ["delivered"])
    headers, body = receiver.received[0]
    assert readme_verify()(saved["webhook_secret"], headers, body)
    assert [item["article"]["title"] for item in orjson.loads(body)["items"]] == PARIS


def test_a_failed_delivery_is_sent_again_when_asked(
    database_url: str, tmp_path: Path, engine: Engine
) -> None:
    receiver = Receiver([500, 200])
    once = {**SENDING, "BYLINE_WEBHOOK_ATTEMPTS": "1"}
    with receiver.running(), live_server(database_url, **once) as base:
        saved = httpx2.post(f"{base}{PATH}", json={**HARBOUR, "webhook_url": receiver.url}).json()
        write(tmp_path, *range(1, 8))
        Ingest(engine)(tmp_path)
        (failed,) = wait_for_state(saved["deliveries_url"], ["failed"])
        assert [attempt["status"] for attempt in failed["attempts"]] == [500]
        retry = f"{saved['deliveries_url']}/{failed['id']}/retry"
        again = httpx2.post(retry)
        assert again.status_code == 202, again.text
        assert again.json()["state"] == "pending"
        (delivered,) = wait_for_state(saved["deliveries_url"], ["delivered"])
        assert [attempt["status"] for attempt in delivered["attempts"]] == [500, 200]
        assert receiver.received[0][1] == receiver.received[1][1]
        missing = httpx2.post(f"{saved['deliveries_url']}/{failed['id'] + 1}/retry")
        assert missing.status_code == 404
        assert missing.json()["detail"].startswith(f"Saved search {saved['id']} has no delivery")


def test_a_receiver_too_slow_is_an_attempt_that_timed_out(
    database_url: str, tmp_path: Path, engine: Engine
) -> None:
    receiver = Receiver([200], delay=3)
    with receiver.running(), live_server(database_url, **SENDING) as base:
        saved = httpx2.post(f"{base}{PATH}", json={**HARBOUR, "webhook_url": receiver.url}).json()
        write(tmp_path, 1)
        Ingest(engine)(tmp_path)
        deadline = time.monotonic() + 20
        while True:
            (delivery,) = httpx2.get(saved["deliveries_url"]).json()["items"]
            if delivery["attempts"]:
                break
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert delivery["attempts"][0]["error"] == "no answer within 1 s"
        assert delivery["state"] == "pending"


def test_a_round_cut_off_is_matched_by_the_server(
    database_url: str, tmp_path: Path, engine: Engine
) -> None:
    with live_server(database_url, **SENDING) as base:
        saved = httpx2.post(f"{base}{PATH}", json=HARBOUR).json()
        write(tmp_path, *range(1, 8))
        ingest_paths(engine, [tmp_path])  # committed, but no round of matching after it
        deadline = time.monotonic() + 20
        while True:
            found = httpx2.get(saved["matches_url"]).json()["items"]
            if found:
                break
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert [item["article"]["title"] for item in found] == PARIS


def test_a_round_is_recorded_once(client: TestClient, engine: Engine, tmp_path: Path) -> None:
    client.post(PATH, json=HARBOUR)
    write(tmp_path, *range(1, 8))
    ingest_paths(engine, [tmp_path])
    reader = open_reader(engine.url.render_as_string(hide_password=False))
    try:
        # Another process recorded these changes first: a round from the old progress is
        # refused, and recording again finds nothing left.
        assert match_arrivals(engine, engine, reader.rows, delivery_body).matches == 2
        assert not record_round(
            engine, started_at=0, matched_through=7, searched=[1], outcome=RoundOutcome()
        )
        assert match_arrivals(engine, engine, reader.rows, delivery_body).rounds == 0
    finally:
        reader.close()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM saved_search_match")).scalar() == 2


def test_an_id_is_never_given_twice(client: TestClient) -> None:
    # A round of matching and a receiver (`webhook-id`) tell searches and deliveries by id.
    first = client.post(PATH, json=HARBOUR).json()
    second = client.post(PATH, json=HARBOUR).json()
    assert client.delete(second["url"]).status_code == 204
    third = client.post(PATH, json=HARBOUR).json()
    assert third["id"] > second["id"] > first["id"]
