"""Schemathesis hooks for .ci/schemathesis.

A change to a child record needs the ETag of its current version in If-Match. Generated values are
never current, so without help every such change would be refused (412, or 428 without the header).
Where a generated request meant to be valid carries If-Match, this hook replaces it with the
record's current ETag, read just before the call, so the change itself is exercised; requests without
the header still check the 428, and requests meant to be refused (a missing Authorization, a wrong
type) are left as generated, so that they are refused for their own fault.
"""

import os
import urllib.error
import urllib.request

import schemathesis


def current_etag(child_id):
    request = urllib.request.Request(
        f"{os.environ['CONFORMANCE_BASE']}/api/v1/children/{child_id}",
        headers={"Authorization": f"Bearer {os.environ['CONFORMANCE_TOKEN']}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.headers.get("ETag")
    except (urllib.error.URLError, ValueError):
        return None


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    if case.operation.method.upper() != "PATCH" or case.operation.path != "/api/v1/children/{child_id}":
        return
    if not case.headers or "If-Match" not in case.headers:
        return
    generation = getattr(getattr(case, "meta", None), "generation", None)
    mode = getattr(getattr(generation, "mode", None), "value", None)
    if mode != "positive":
        return
    child_id = (case.path_parameters or {}).get("child_id")
    etag = current_etag(child_id) if isinstance(child_id, str) else None
    if etag:
        case.headers["If-Match"] = etag
