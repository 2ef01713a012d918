"""The server's webhook sender: a thread in each server process that POSTs the due deliveries
of saved searches' matches, signed (app/alerts/signatures.py), to the hosts the policy allows
(app/alerts/destinations.py), and records each attempt; a failed one is tried again after a
pause that doubles each time, up to an hour, until the attempts run out.

Nothing here runs during an ingestion: ingestion records deliveries with its matches and goes
on; a receiver that is down or slow holds up only its own deliveries, which wait in the store
and are sent after a restart. Before sending, the thread also matches what ingestion left
unmatched (a run cut off between a batch's commit and its round), so the store converges.
"""

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from app import __version__
from app.alerts import signatures
from app.alerts.destinations import Destination, Refused, WebhookPolicy
from app.alerts.matching import PayloadMaker, behind, match_arrivals
from app.store.arrival_matches import matched_change
from app.store.articles import run_under_way
from app.store.deliveries import DueDelivery, any_due, claim_due, record_attempt
from app.store.models import DeliveryState
from app.store.readers.base import Read
from app.store.times import utc_now

# A claim lasts this many timeouts (and 10 s): past it, another sender may take the delivery.
LEASE_FACTOR = 3
# Seconds between looks at the store for due deliveries and unmatched changes.
POLL_S = 1.0
# Seconds changes wait unmatched, the progress not moving, before a server matches them: an
# ingestion matches each batch right after its commit, and a server doing it too would only
# spend its time on a round that one of the two then drops. While an ingestion runs (one that
# started in the last ``RUN_HOURS`` and has not finished), the server leaves its changes to it,
# unless they wait ``STUCK_S``.
LEFT_OVER_S = 5.0
RUN_HOURS = 1
STUCK_S = 120.0
# Deliveries sent at once: a slow receiver holds one sender, not all.
SENDERS = 4
# The longest pause between two attempts.
MAX_PAUSE_S = 3600.0
# What an attempt keeps of a receiver's error.
ERROR_CHARS = 300

_log = logging.getLogger("byline")


class WebhookSender:
    """Sends due deliveries from a thread of its own: ``start``, ``stop``."""

    def __init__(
        self,
        *,
        engine: Engine,
        writer: Engine,
        read: Read,
        payload: PayloadMaker,
        policy: WebhookPolicy,
        timeout: float,
        retry_s: float,
        attempts: int,
    ) -> None:
        self.engine, self.writer, self.read, self.payload = engine, writer, read, payload
        self.policy = policy
        self.timeout = timeout
        self.retry_s = retry_s
        self.attempts = attempts
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhook-sender", daemon=True)
        self._failing: str | None = None
        self._stuck: tuple[int, float] | None = None  # the progress seen behind, and since when

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(self.timeout + 5)

    def _run(self) -> None:
        # No redirects: a receiver's 3xx to an internal address would get round the policy.
        # No connection kept between POSTs: connections are to the address judged, and one
        # made (and its certificate checked) for one name must not carry another name's POST.
        # No proxy from the environment: it would connect by name, not to the address judged.
        with (
            httpx.Client(
                timeout=self.timeout,
                follow_redirects=False,
                trust_env=False,
                limits=httpx.Limits(max_keepalive_connections=0),
            ) as client,
            ThreadPoolExecutor(SENDERS, thread_name_prefix="webhook") as pool,
        ):
            sending: set[Future[None]] = set()
            while not self._stop.is_set():
                sending = {future for future in sending if not future.done()}
                try:
                    self._match_left_over()
                    # As many as there are free senders: a slow receiver holds one of them.
                    for delivery in self._claim(SENDERS - len(sending)):
                        sending.add(pool.submit(self._send, client, delivery))
                    self._failing = None
                except Exception as error:
                    if self._failing != str(error):
                        _log.error("webhooks: %s", error, exc_info=error)
                    self._failing = str(error)
                self._stop.wait(POLL_S)

    def _match_left_over(self) -> None:
        """Match the changes an ingestion left unmatched for ``LEFT_OVER_S``."""
        with self.engine.connect() as connection:
            progress = matched_change(connection)
            if not behind(connection, progress):
                self._stuck = None
                return
        now = time.monotonic()
        if self._stuck is None or self._stuck[0] != progress:
            self._stuck = (progress, now)
            return
        waited = now - self._stuck[1]
        if waited < LEFT_OVER_S:
            return
        with self.engine.connect() as connection:
            ingesting = run_under_way(
                connection, started_after=utc_now() - timedelta(hours=RUN_HOURS)
            )
        if not ingesting or waited >= STUCK_S:
            # Once: a round another process records first is its to record.
            match_arrivals(
                self.engine, self.writer, self.read, self.payload, stop=self._stop, patient=False
            )
            self._stuck = None

    def _claim(self, free: int) -> list[DueDelivery]:
        """At most ``free`` due deliveries, claimed: the store's write lock is taken only when
        a read finds some due."""
        if free <= 0:
            return []
        with self.engine.connect() as connection:
            if not any_due(connection):
                return []
        return claim_due(self.writer, lease_s=LEASE_FACTOR * self.timeout + 10, limit=free)

    def _send(self, client: httpx.Client, delivery: DueDelivery) -> None:
        """One attempt at ``delivery``, recorded with its outcome (whatever goes wrong is a
        failed attempt: a delivery never stops the sender)."""
        started = time.monotonic()
        attempt: dict[str, Any] = {"at": utc_now().isoformat().replace("+00:00", "Z")}
        status: int | None = None
        final = False  # a failure that no retry can mend
        try:
            destination = self.policy.destination(delivery.url)
            status = _post(client, destination, delivery)
            if not 200 <= status < 300:
                attempt["error"] = (
                    f"answered {status}: webhooks follow no redirects"
                    if 300 <= status < 400
                    else f"answered {status}"
                )
        except Refused as refused:
            attempt["error"] = f"refused: the URL {refused}"
            final = refused.final
        except httpx.TimeoutException:
            attempt["error"] = f"no answer within {self.timeout:g} s"
        except Exception as error:
            attempt["error"] = (str(error) or type(error).__name__)[:ERROR_CHARS]
        attempt["status"] = status
        attempt["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
        made = len(delivery.attempts) + 1
        if "error" not in attempt:
            state, next_at = DeliveryState.DELIVERED, None
        elif final or made >= self.attempts:
            state, next_at = DeliveryState.FAILED, None
        else:
            pause = min(self.retry_s * 2 ** (made - 1), MAX_PAUSE_S)
            state, next_at = DeliveryState.PENDING, utc_now() + timedelta(seconds=pause)
        if "error" in attempt:
            _log.warning(
                "webhooks: delivery %s, attempt %s: %s (%s)",
                delivery.id,
                made,
                attempt["error"],
                "given up" if state is DeliveryState.FAILED else f"next at {next_at:%H:%M:%S}",
            )
        failed: SQLAlchemyError | None = None
        for pause in (0.0, 1.0, 5.0):  # the store's write lock may be held a while
            time.sleep(pause)
            try:
                record_attempt(
                    self.writer,
                    delivery=delivery,
                    attempt=attempt,
                    state=state,
                    next_attempt_at=next_at,
                )
                return
            except SQLAlchemyError as error:
                failed = error
        _log.error("webhooks: delivery %s's attempt not recorded: %s", delivery.id, failed)


def _post(client: httpx.Client, destination: Destination, delivery: DueDelivery) -> int:
    """POST the delivery to the address the policy judged (the name is not resolved again),
    naming the host in ``Host`` and, over TLS, in the handshake (and the certificate checked
    against it); the status answered. The receiver's body is not read."""
    body = delivery.payload.encode()
    timestamp = int(time.time())
    url = httpx.URL(destination.url).copy_with(host=destination.address)
    default = 443 if destination.scheme == "https" else 80
    port = "" if destination.port == default else f":{destination.port}"
    host = f"[{destination.host}]" if ":" in destination.host else destination.host
    headers = {
        "host": host + port,
        "content-type": "application/json",
        "user-agent": f"Byline/{__version__} (webhooks)",
        **signatures.headers(delivery.secret, str(delivery.id), timestamp, body),
    }
    extensions = {"sni_hostname": destination.host} if destination.scheme == "https" else {}
    with client.stream(
        "POST", url, content=body, headers=headers, extensions=extensions
    ) as response:
        return response.status_code
