"""Rate limits: how many requests each client may make, per API key or, for a request without
one, per client address; counted in this process's memory or in Redis.

Every limited answer carries the two fields of draft-ietf-httpapi-ratelimit-headers (the form of
its versions 08 and later): ``RateLimit-Policy: "default";q=600;w=60``, the quota of the policy
and its window in seconds, the same on every answer, and ``RateLimit: "default";r=599;t=1``, the
requests remaining and the seconds until one more is freed. The policy is ``default`` (the
``rate_limit`` setting, per key or address) or ``key`` (a key's own rate). One over the limit is a
429 ``rate-limited`` problem with both and ``Retry-After``.

The counting is GCRA, the generic cell rate algorithm (as redis-cell and many API gateways count):
a rate of N requests in a window of W seconds lets one request through every W/N seconds, with a
burst of N. Each client is one number, its theoretical arrival time (TAT): when its next request
would be on time if it kept exactly to its rate. A request at ``now`` moves it to
``max(TAT, now) + W/N`` and is allowed while that is at most ``now + W``; a refused request
leaves it alone. So a hit is a read, a few additions and a write whatever the rate; the remaining
requests (``(now + W - TAT) / (W/N)``, rounded down) and the seconds until one more is freed
follow exactly from that one number, with no second look at the store; and nobody spends twice
their rate across a window's edge (there are no edges). A sliding window counter, such as the
``limits`` library's, keeps two counters a client and estimates how the last window's requests
were spread; through that library's layers it costs some 25 µs a request in memory, and two
round trips to Redis (the hit, then the counts for the headers).

In memory the TATs are a dict of floats on the monotonic clock; a TAT in the past means a full
allowance, the same as no entry, so such entries are dropped whenever the dict has grown past a
bound (it holds the clients of the last window at most). In Redis one Lua script (EVALSHA)
reads, moves and writes the TAT on Redis' own clock (the servers sharing it need not agree on the
time), with the key expiring when the TAT passes: one round trip a request. The ``limits``
library stays for what it does well, reading the ``600/minute`` notation of the settings.

When Redis cannot be reached, requests are served without a limit (fail open, logged): the
counters protect the API, and their store failing should not take the API down with it.
"""

import logging
import math
import time
from typing import TYPE_CHECKING

from limits import RateLimitItem
from starlette.types import Scope

from app.problems import RateLimited
from app.store.api_keys import ApiKey

if TYPE_CHECKING:
    from redis.commands.core import AsyncScript

logger = logging.getLogger("byline")

# The headers of a refusal, as the OpenAPI document declares them; every limited answer carries
# the RateLimit ones.
RATE_LIMIT_HEADERS = {
    "Retry-After": {
        "description": "Seconds until the client may try again.",
        "schema": {"type": "integer"},
    },
    "RateLimit": {
        "description": "The requests the client has left (`r`) and the seconds until one more is"
        ' freed (`t`), as `"default";r=0;t=12`.',
        "schema": {"type": "string"},
    },
    "RateLimit-Policy": {
        "description": "The requests a window allows the client (`q`) and the window in seconds"
        ' (`w`), as `"default";q=600;w=60`.',
        "schema": {"type": "string"},
    },
}
# The policies' names: the ``rate_limit`` setting's, and a key's own rate.
DEFAULT_POLICY = "default"
KEY_POLICY = "key"
# The counters' keys in Redis start with it: one Redis may serve other programs too.
KEY_PREFIX = "byline-rate"
# Seconds Redis has to connect and answer: past them the request is served without a limit.
STORE_TIMEOUT_S = 0.5
# After the store fails, requests go unlimited this long before it is tried again, so that a
# store that is down costs one timeout every so often, not one a request.
STORE_RETRY_S = 5.0
# Keys whose client name and rate are kept (``RateCounter.counted_as``): keys are few, but the
# dict must not grow without end.
KEYS_KEPT = 4096
# Clients counted in memory before the ones back to a full allowance are dropped (the bound then
# doubles with the clients still counting, so that dropping costs O(1) a request on average).
MEMORY_CLIENTS = 10_000
# Float rounding must not take a request from a client (2.9999999 remaining is 3).
EPSILON = 1e-9

# GCRA in Redis: KEYS[1] the client's TAT (ms on Redis' clock); ARGV the requests and the window
# in ms. Answers {allowed (1 or 0), remaining, seconds until one more is freed}.
GCRA_SCRIPT = """
local requests, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local interval = window / requests
local clock = redis.call('TIME')
-- ms since 2023-11-14 (1.7e9 s): small enough numbers for floats finer than a µs
local now = (clock[1] - 1700000000) * 1000 + clock[2] / 1000
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
tat = tat + interval
local allow_at = tat - window
if now < allow_at then
  return {0, 0, math.ceil((allow_at - now) / 1000)}
end
redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX', math.max(1, math.ceil(tat - now)))
local freed = (now - allow_at) / interval
local remaining = math.floor(freed + 1e-9)
return {1, remaining, math.max(0, math.ceil(((remaining + 1 - freed) * interval - 1e-6) / 1000))}
"""


class Rate:
    """A rate as the counting uses it: its numbers and its fixed fields, made once."""

    __slots__ = (
        "described",
        "interval_s",
        "policy_header",
        "remaining_form",
        "requests",
        "window_ms",
        "window_s",
    )

    def __init__(
        self, requests: int, window_s: int, described: str, policy: str = DEFAULT_POLICY
    ) -> None:
        self.requests = requests
        self.window_s = window_s
        self.interval_s = window_s / requests
        self.window_ms = window_s * 1000
        self.described = described
        self.policy_header = (
            b"ratelimit-policy",
            b'"%s";q=%d;w=%d' % (policy.encode(), requests, window_s),
        )
        # Only the two numbers are formatted a request.
        self.remaining_form = b'"' + policy.encode() + b'";r=%d;t=%d'

    def answer_headers(self, remaining: int, reset: int) -> tuple[tuple[bytes, bytes], ...]:
        """The ``RateLimit`` and ``RateLimit-Policy`` fields of an answer with ``remaining``
        requests left and one more freed in ``reset`` seconds."""
        return (b"ratelimit", self.remaining_form % (remaining, reset)), self.policy_header

    @classmethod
    def of(cls, rate: RateLimitItem) -> "Rate":
        """The rate the ``limits`` library read from the settings."""
        unit = rate.GRANULARITY.name
        described = f"1 {unit}" if rate.multiples == 1 else f"{rate.multiples} {unit}s"
        return cls(rate.amount, rate.get_expiry(), described)


def redis_script(url: str) -> "AsyncScript":
    """The GCRA script, on a client of the Redis a ``rate_limit_storage`` URL names."""
    from redis.asyncio import Redis  # noqa: PLC0415 (only a Redis store needs it)
    from redis.asyncio.retry import Retry  # noqa: PLC0415
    from redis.backoff import NoBackoff  # noqa: PLC0415

    client = Redis.from_url(
        # redis-py spells a socket's scheme unix://; the setting takes limits' redis+unix:// too.
        url.replace("redis+unix://", "unix://", 1),
        socket_timeout=STORE_TIMEOUT_S,
        socket_connect_timeout=STORE_TIMEOUT_S,
        # No retries: a store that fails is left alone for STORE_RETRY_S instead.
        retry=Retry(NoBackoff(), 0),
    )
    return client.register_script(GCRA_SCRIPT)


def client_of(scope: Scope, key: ApiKey | None) -> tuple[str, int | None]:
    """Who a request counts against, and that client's own rate per minute if it has one: the
    request's API key, else the client's address (uvicorn takes it from ``X-Forwarded-For`` when
    a trusted proxy sent it)."""
    if key is not None:
        return f"key:{key.id}", key.rate_per_minute
    client = scope.get("client")
    return f"address:{client[0] if client else 'unknown'}", None


class RateCounter:
    """Each client's requests counted against its rate (``Admission``, app/api/admission.py,
    asks for each request's count): in this process's memory, or in Redis."""

    def __init__(self, *, rate: RateLimitItem | None, storage_url: str = "memory://") -> None:
        self.default_rate = None if rate is None else Rate.of(rate)
        self.in_memory = storage_url.startswith("memory:")
        self.storage_url = storage_url
        # Each client's TAT on the monotonic clock, when counting in memory.
        self.arrivals: dict[str, float] = {}
        self.sweep_at = MEMORY_CLIENTS
        # Made at the first request: redis-py's connections belong to the serving event loop.
        self.script: AsyncScript | None = None
        self.store_down_until = 0.0
        self.key_rates: dict[int, Rate] = {}
        # By key id: the key's own rate per minute, and who it counts as at which rate.
        self.key_clients: dict[int, tuple[int | None, str, Rate | None]] = {}

    def rate_of(self, own_rate: int | None) -> Rate | None:
        """The rate of a client whose own rate per minute is ``own_rate`` (None: the default's);
        None when nothing limits it."""
        return self.default_rate if own_rate is None else self._per_minute(own_rate)

    def counted_as(self, scope: Scope, key: ApiKey | None) -> tuple[str, Rate | None]:
        """Who a request counts against (``client_of``) and at which rate (None: unlimited);
        for a key, made once and kept by its id, not made again for each of its requests."""
        if key is None:
            return client_of(scope, None)[0], self.default_rate
        kept = self.key_clients.get(key.id)
        if kept is None or kept[0] != key.rate_per_minute:  # a key's rate is kept with it
            if len(self.key_clients) >= KEYS_KEPT:
                self.key_clients.clear()
            who, own_rate = client_of(scope, key)
            kept = self.key_clients[key.id] = (own_rate, who, self.rate_of(own_rate))
        return kept[1], kept[2]

    def count_here(self, rate: Rate, who: str) -> tuple[bool, int, int]:
        """GCRA on this process's dict: whether ``who``'s request is allowed, the requests it
        has left and the seconds until one more is freed (or, refused, until it may try again).
        Not a coroutine: this is every limited request's cost."""
        now = time.monotonic()
        arrivals = self.arrivals
        tat = arrivals.get(who, now)
        tat = (tat if tat > now else now) + rate.interval_s
        allow_at = tat - rate.window_s
        if now < allow_at:
            return False, 0, math.ceil(allow_at - now)
        if len(arrivals) >= self.sweep_at:
            self._sweep(now)
        self.arrivals[who] = tat
        freed = (now - allow_at) / rate.interval_s
        remaining = int(freed + EPSILON)
        return True, remaining, math.ceil((remaining + 1 - freed) * rate.interval_s - EPSILON)

    async def count(self, rate: Rate, who: str) -> tuple[bool, int, int] | None:
        """``who``'s request counted where the counters are, as ``count_here`` tells; None when
        the store failed (the request goes unlimited)."""
        if self.in_memory:
            return self.count_here(rate, who)
        return await self._count_in_redis(rate, who)

    @staticmethod
    def refusal(rate: Rate, who: str, reset: int) -> RateLimited:
        """The 429 problem of a request over its client's rate, with when to try again."""
        retry_after = max(1, reset)
        return RateLimited(
            f"More than {rate.requests} request{'' if rate.requests == 1 else 's'} in "
            f"{rate.described} from this "
            f"{'API key' if who.startswith('key:') else 'address'}: "
            f"try again in {retry_after} s.",
            headers={
                name.decode(): value.decode() for name, value in rate.answer_headers(0, retry_after)
            }
            | {"Retry-After": str(retry_after)},
        )

    def _sweep(self, now: float) -> None:
        """Drop the clients back to a full allowance: no entry says the same."""
        self.arrivals = {who: tat for who, tat in self.arrivals.items() if tat > now}
        self.sweep_at = max(MEMORY_CLIENTS, 2 * len(self.arrivals))

    async def _count_in_redis(self, rate: Rate, who: str) -> tuple[bool, int, int] | None:
        """GCRA in Redis, one round trip; None: the store failed, the request goes unlimited."""
        if time.monotonic() < self.store_down_until:
            return None
        if self.script is None:
            self.script = redis_script(self.storage_url)
        try:
            allowed, remaining, reset = await self.script(
                keys=[f"{KEY_PREFIX}:{who}"], args=[rate.requests, rate.window_ms]
            )
        # Whatever the client raised (connection, timeout, a script error): never a 500.
        except Exception as error:
            self.store_down_until = time.monotonic() + STORE_RETRY_S
            logger.warning(
                "rate limits: the counters' store failed (%s: %s); requests go unlimited for %g s",
                type(error).__name__,
                error,
                STORE_RETRY_S,
            )
            return None
        return allowed == 1, int(remaining), int(reset)

    def _per_minute(self, requests: int) -> Rate:
        """A key's own rate, made once (the keys hold a handful)."""
        rate = self.key_rates.get(requests)
        if rate is None:
            if len(self.key_rates) >= 1024:
                self.key_rates.clear()
            rate = self.key_rates[requests] = Rate(requests, 60, "1 minute", KEY_POLICY)
        return rate
