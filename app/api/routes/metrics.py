"""``/metrics``: the process's metrics in Prometheus' text format (app/api/metrics.py), left out
of the OpenAPI document: it is for the operator's scraper, not for the API's clients."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from app.api.authentication import require_scope
from app.api.metrics import METRICS_PATH
from app.store.api_keys import KeyScope

router = APIRouter()


# With API keys on, only an admin key reads them: traffic figures are the operator's.
@router.get(
    METRICS_PATH, include_in_schema=False, dependencies=[Depends(require_scope(KeyScope.ADMIN))]
)
def metrics(request: Request) -> Response:
    """Every metric, read now (a sync route: the store's reads run on a worker thread)."""
    state = request.app.state
    body = state.metrics.exposition(getattr(state, "reader", None))
    return Response(body, media_type=CONTENT_TYPE_LATEST)
