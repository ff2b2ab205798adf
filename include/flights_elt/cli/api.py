"""The Airflow REST API as ``elt`` uses it: JSON requests, a bearer token, retries.

Used by ``elt run`` (``runner``) in the production image as well as on a laptop, and by the
embedded stack's health checks. Standard library only.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request

_TOKEN: dict[str, str] = {}


def _api_credentials() -> tuple[str, str] | None:
    user = os.environ.get("ELT_API_USERNAME") or os.environ.get("_AIRFLOW_WWW_USER_USERNAME")
    password = os.environ.get("ELT_API_PASSWORD") or os.environ.get("_AIRFLOW_WWW_USER_PASSWORD")
    return (user, password) if user and password else None


def _bearer(base: str) -> dict[str, str]:
    """A JWT for the REST API when credentials are configured (production auth managers).

    The embedded stack's all-admins simple auth manager needs none.
    """
    creds = _api_credentials()
    if creds is None:
        return {}
    if base not in _TOKEN:
        data = _request(f"{base}/auth/token", "POST", {"username": creds[0], "password": creds[1]}, 10, {})
        _TOKEN[base] = data["access_token"]  # type: ignore[index]
    return {"Authorization": f"Bearer {_TOKEN[base]}"}


def _request(url: str, method: str, body: object | None, timeout: float, headers: dict[str, str]) -> object:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json", **headers})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(req, timeout=timeout) as resp:
        return json.loads(resp.read() or b"null")


def _transient(e: BaseException) -> bool:
    if isinstance(e, urllib.error.HTTPError):
        return e.code >= 500 or e.code == 429
    return isinstance(e, (urllib.error.URLError, TimeoutError, ConnectionError))


def http_json(
    url: str, method: str = "GET", body: object | None = None, timeout: float = 30, attempts: int = 5
) -> object:
    """JSON over the REST API, retrying transient failures (a busy API server on 2 cores).

    Only safe to retry for reads and for writes that are idempotent by construction (the
    runner's triggers carry their own dag_run_id, so a repeated POST answers 409).
    """
    base = url.split("/api/", 1)[0]
    for attempt in range(1, attempts + 1):
        try:
            return _request(url, method, body, timeout, _bearer(base))
        except Exception as e:
            if attempt == attempts or not _transient(e):
                raise
            time.sleep(min(2**attempt, 15))
    raise AssertionError("unreachable")
