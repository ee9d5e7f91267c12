"""JSON responses and Link-header pagination shaped like the Hub's."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

from release.localhub.context import Call


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(body, status, headers, media_type="application/json")


def paginated(
    call: Call,
    items: Sequence[Any],
    page_size: int,
    render: Callable[[Any], Any] | None = None,
) -> Response:
    """One page from `?cursor=N`, with `Link: <next>; rel="next"` when more remain.

    The client follows the next URL verbatim, so it carries every original query parameter.
    """
    try:
        start = max(0, int(call.query.get("cursor", "0")))
    except ValueError:
        start = 0
    page = list(items[start : start + page_size])
    if render is not None:
        page = [render(item) for item in page]
    headers = {}
    if start + page_size < len(items):
        query = [(k, v) for k, v in call.query.multi_items() if k != "cursor"]
        query.append(("cursor", str(start + page_size)))
        headers["Link"] = f'<{call.base_url}{call.raw_path}?{urlencode(query)}>; rel="next"'
    return json_response(page, headers=headers)
