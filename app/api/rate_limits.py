"""Rate limits: how many requests each client may make, per API key or, for a request without
one, per client address; counted by the ``limits`` library in this process's memory or in Redis.

Every limited answer carries ``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset``
and ``RateLimit-Policy`` (draft-ietf-httpapi-ratelimit-headers-06: separate fields, the reset in
seconds from now); one over the limit is a 429 ``rate-limited`` problem with ``Retry-After``.

The strategy is the sliding window counter: two counters a client (this window's and the last
one's, the last weighted by how much of it still overlaps the window ending now), so a hit costs
the same whatever the rate, and a client cannot spend twice its rate across a window's edge as a
fixed window allows. The moving window would be exact but keeps one entry per request (600 a
client at 600/minute) and counts them on every hit.

When Redis cannot be reached, requests are served without a limit (fail open, logged): the
counters protect the API, and their store failing should not take the API down with it.
"""

import logging
import math
import time

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import error_response
from app.api.links import route_path
from app.problems import RateLimited

logger = logging.getLogger("byline")

# Probes are never limited: a load balancer's checks must not take a replica out; nor is the
# operator's scraper.
EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# What the headers of a refusal say (the OpenAPI document declares them); every limited answer
# carries the RateLimit-* ones.
RATE_LIMIT_HEADERS = {
    "Retry-After": "Seconds until the client may try again.",
    "RateLimit-Limit": "The requests a window allows this client.",
    "RateLimit-Remaining": "The requests the client has left in the window.",
    "RateLimit-Reset": "Seconds until the window frees one more request.",
}
# The counters' keys in Redis start with it: one Redis may serve other programs too.
KEY_PREFIX = "byline-rate"
# Seconds Redis has to connect and answer: past them the request is served without a limit.
STORE_TIMEOUT_S = 0.5
# After the store fails, requests go unlimited this long before it is tried again, so that a
# store that is down costs one timeout every so often, not one a request.
STORE_RETRY_S = 5.0


def counter_store(url: str) -> Storage:
    """The counters' store a ``rate_limit_storage`` URL names (``memory://`` or Redis)."""
    if url.startswith("memory:"):
        return MemoryStorage()
    # redis-py's asyncio client (limits' default is coredis): the Redis client most installs have.
    return RedisStorage(
        f"async+{url}",
        implementation="redispy",
        key_prefix=KEY_PREFIX,
        wrap_exceptions=True,
        socket_timeout=STORE_TIMEOUT_S,
        socket_connect_timeout=STORE_TIMEOUT_S,
    )


def client_of(scope: Scope) -> tuple[str, int | None]:
    """Who a request counts against, and that client's own rate per minute if it has one: the
    API key the keys' middleware found, else the client's address (uvicorn takes it from
    ``X-Forwarded-For`` when a trusted proxy sent it)."""
    key = scope.get("state", {}).get("api_key")
    key_id = getattr(key, "id", None)
    if key_id is not None:
        rate = getattr(key, "rate_per_minute", None)
        return f"key:{key_id}", rate if isinstance(rate, int) else None
    client = scope.get("client")
    return f"address:{client[0] if client else 'unknown'}", None


class RateLimits:
    """Count each request against its client's rate; refuse one over it with a 429."""

    def __init__(
        self, app: ASGIApp, *, rate: RateLimitItem | None, storage_url: str = "memory://"
    ) -> None:
        self.app = app
        self.default_rate = rate
        self.storage_url = storage_url
        # Made at the first request: the memory store's locks belong to the serving event loop.
        self.limiter: SlidingWindowCounterRateLimiter | None = None
        self.store_down_until = 0.0
        self.key_rates: dict[int, RateLimitItem] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or route_path(scope) in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        who, own_rate = client_of(scope)
        rate = self.default_rate if own_rate is None else self._per_minute(own_rate)
        if rate is None or time.monotonic() < self.store_down_until:
            await self.app(scope, receive, send)
            return
        if self.limiter is None:
            self.limiter = SlidingWindowCounterRateLimiter(counter_store(self.storage_url))
        try:
            allowed = await self.limiter.hit(rate, who)
            window = await self.limiter.get_window_stats(rate, who)
        # Whatever the store raised (limits wraps Redis' errors, not every one): never a 500.
        except Exception as error:
            self.store_down_until = time.monotonic() + STORE_RETRY_S
            logger.warning(
                "rate limits: the counters' store failed (%s: %s); requests go unlimited for %g s",
                type(error).__name__,
                error,
                STORE_RETRY_S,
            )
            await self.app(scope, receive, send)
            return
        reset = max(0, math.ceil(window.reset_time - time.time()))
        headers = {
            "RateLimit-Limit": str(rate.amount),
            "RateLimit-Remaining": str(window.remaining),
            "RateLimit-Reset": str(reset),
            "RateLimit-Policy": f"{rate.amount};w={rate.get_expiry()}",
        }
        if not allowed:
            retry_after = max(1, reset)
            refusal = RateLimited(
                f"More than {rate.amount} request{'' if rate.amount == 1 else 's'} in "
                f"{describe_window(rate)} from this "
                f"{'API key' if who.startswith('key:') else 'address'}: "
                f"try again in {retry_after} s.",
                headers={**headers, "Retry-After": str(retry_after)},
            )
            await error_response(refusal, instance=scope["path"])(scope, receive, send)
            return
        await self.app(scope, receive, _with_headers(send, headers))

    def _per_minute(self, requests: int) -> RateLimitItem:
        """A key's own rate, made once (the keys' middleware holds a handful)."""
        rate = self.key_rates.get(requests)
        if rate is None:
            if len(self.key_rates) >= 1024:
                self.key_rates.clear()
            rate = self.key_rates[requests] = RateLimitItemPerMinute(requests)
        return rate


def describe_window(rate: RateLimitItem) -> str:
    """``1 minute``, ``10 seconds``: the window of a rate, as a detail says it."""
    unit = rate.GRANULARITY.name
    return f"1 {unit}" if rate.multiples == 1 else f"{rate.multiples} {unit}s"


def _with_headers(send: Send, headers: dict[str, str]) -> Send:
    """``send``, with ``headers`` added to the response's start."""
    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            # A message of its own: the kept article bodies keep the one the route sent.
            message = {**message, "headers": [*message.get("headers", []), *raw]}
        await send(message)

    return sending
