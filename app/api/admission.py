"""Who is answered: the one layer that checks a request's API key (authentication.py) and counts
it against its client's rate (rate_limits.py), refusing it with a 401, 403 or 429 problem.

The key comes first, as the rate is counted per key. A request whose key is refused is counted
against its address, so that guessing keys is as limited as any other request: past the
address's rate it gets the 429 instead of the 401. An allowed request's ``RateLimit`` and
``RateLimit-Policy`` fields go on its answer through ``add_headers`` (app/api/edge.py), whoever
answers it (a kept body, a 304, a route).
"""

from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.authentication import MISSING_KEY, KeyCheck, guarded, sent_key
from app.api.edge import add_headers
from app.api.errors import error_response
from app.api.links import PROBE_PATHS, route_path
from app.api.rate_limits import RateCounter
from app.problems import ApiKeyRequired, InvalidApiKey, ProblemError
from app.store.api_keys import ApiKey


class Admission:
    """Refuse a request whose key is missing (``required``), malformed, unknown or revoked, or
    whose client is over its rate; pass on the others, their key at
    ``scope["state"]["api_key"]``. Without ``keys`` no key is read; probes are never limited."""

    def __init__(self, app: ASGIApp, *, keys: KeyCheck | None, rates: RateCounter) -> None:
        self.app = app
        self.keys = keys
        self.rates = rates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        key: ApiKey | None = None
        try:
            keys = self.keys
            if keys is not None and guarded(path):
                sent = sent_key(scope["headers"])
                if sent is not None:
                    # Not a coroutine for a key kept: most requests end there.
                    key = keys.kept(sent) or await keys.verified(scope, sent)
                elif keys.required:
                    raise ApiKeyRequired(MISSING_KEY)
        except (ApiKeyRequired, InvalidApiKey) as refused:
            # Counted against the address: a refusal over its rate says so instead.
            await self._refuse(scope, receive, send, refused, counted=path not in PROBE_PATHS)
            return
        except ProblemError as error:
            await error_response(error, instance=scope["path"])(scope, receive, send)
            return
        if key is not None:
            scope.setdefault("state", {})["api_key"] = key
        if path not in PROBE_PATHS:
            rates = self.rates
            who, rate = rates.counted_as(scope, key)
            if rate is not None:
                counted = (
                    rates.count_here(rate, who) if rates.in_memory else await rates.count(rate, who)
                )
                if counted is not None:
                    allowed, remaining, reset = counted
                    if not allowed:
                        refusal = rates.refusal(rate, who, reset)
                        await error_response(refusal, instance=scope["path"])(scope, receive, send)
                        return
                    add_headers(scope, rate.answer_headers(remaining, reset))
        await self.app(scope, receive, send)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, refused: ProblemError, *, counted: bool
    ) -> None:
        """Answer ``refused``, or the 429 when its address is over its rate."""
        if counted:
            who, rate = self.rates.counted_as(scope, None)
            if rate is not None:
                verdict = await self.rates.count(rate, who)
                if verdict is not None and not verdict[0]:
                    refused = self.rates.refusal(rate, who, verdict[2])
        await error_response(refused, instance=scope["path"])(scope, receive, send)
