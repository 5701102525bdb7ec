"""Run scim2-tester against a running SCIM endpoint and print a readable report.

Called by scripts/conformance.sh, which starts idsync and passes the Tenant URL and
the Secret Token in the environment (never on the command line, where `ps` shows it):

    CONFORMANCE_URL=http://127.0.0.1:PORT/scim/v2 CONFORMANCE_TOKEN=idsync_… \
        python scripts/conformance.py --counts FILE [--http-log FILE] [--json FILE]

How scim2-tester decides what to test: it reads /ServiceProviderConfig,
/ResourceTypes and /Schemas and runs CRUD and PATCH checks on every resource type
they publish; without them it stops after the discovery checks. So that a server
whose discovery endpoints are missing or broken still gets its resources checked,
this runner then describes the server itself (User with the enterprise extension,
Group when GET /Groups answers 200, and the capabilities idsync implements) and
runs the remaining checks against that description. The discovery failures still
count. Once discovery works the fallback is never used.

scim2-tester fills resources with random values (which `type`, whether `primary`), so
the runner seeds Python's generator: the same server gives the same verdicts run after
run. Set CONFORMANCE_SEED to try other values.

Counting: SUCCESS, COMPLIANT and ACCEPTABLE pass; ERROR, CRITICAL and DEVIATION
fail (a DEVIATION breaks a SHOULD of the RFCs: worth a look, so it is not let
through silently); SKIPPED is reported but counted in neither. A crash of
scim2-tester itself is one failed check. The counts go to --counts as
`PASSED FAILED SKIPPED`; the caller prints the closing `N passed, M failed` line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import textwrap
import traceback
from collections import Counter
from typing import Any

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    EnterpriseUser,
    ETag,
    Filter,
    Group,
    Patch,
    ResourceType,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    User,
)
from scim2_tester import CheckResult, Status, check_server

PASSED = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}
FAILED = {Status.ERROR, Status.CRITICAL, Status.DEVIATION}
MAX_DATA_CHARS = 1500


class HttpLog:
    """Every request and response, in order, so a failed check can be traced to
    the exchange that broke it. Authorization headers are never written."""

    def __init__(self, path: str | None):
        self.file = open(path, "w", encoding="utf-8") if path else None
        self.count = 0

    def request(self, request: httpx2.Request) -> None:
        if not self.file:
            return
        self.count += 1
        body = request.content.decode("utf-8", "replace") if request.content else ""
        self.file.write(f"\n### {self.count} {request.method} {request.url}\n")
        if body:
            self.file.write(body + "\n")

    def response(self, response: httpx2.Response) -> None:
        if not self.file:
            return
        response.read()
        self.file.write(f"--> {response.status_code} {response.headers.get('content-type', '')}\n")
        if response.content:
            self.file.write(response.text + "\n")
        self.file.flush()


def fallback_provider(client: SyncSCIMClient, http: httpx2.Client) -> ScimProvider:
    """What idsync serves, for when its discovery endpoints do not say it."""
    models: list[Any] = [User, EnterpriseUser]
    resource_types = [ResourceType.from_resource(User[EnterpriseUser])]
    try:
        if http.get("Groups", params={"count": "0"}).status_code == 200:
            models.append(Group)
            resource_types.append(ResourceType.from_resource(Group))
    except httpx2.HTTPError:
        pass
    config = ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=1000),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=True),
        etag=ETag(supported=True),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="OAuth Bearer Token",
                description="Authentication with a bearer token",
            )
        ],
    )
    return ScimProvider(models, resource_types, config, client.provider.policy)


def run_checks(client: SyncSCIMClient, http: httpx2.Client) -> tuple[list[CheckResult], bool]:
    """All results, and whether the fallback description was used."""
    results = check_server(client)
    provider = client.provider
    if provider.models and provider.config:
        return results, False
    client.provider = fallback_provider(client, http)
    more = check_server(client, exclude_tags={"discovery"})
    # Excluding the discovery tags reports every discovery check again as SKIPPED.
    more = [r for r in more if not (r.status == Status.SKIPPED and "discovery" in r.tags)]
    return results + more, True


def shorten(data: Any) -> str:
    try:
        text = json.dumps(data, default=lambda o: getattr(o, "model_dump", lambda: repr(o))(), indent=1)
    except (TypeError, ValueError):
        text = repr(data)
    if len(text) > MAX_DATA_CHARS:
        text = text[:MAX_DATA_CHARS] + f" … ({len(text) - MAX_DATA_CHARS} more characters)"
    return text


def label(status: Status) -> str:
    if status in PASSED:
        return "PASS"
    if status in FAILED:
        return "FAIL" if status != Status.DEVIATION else "WARN"
    return "SKIP"


def report(results: list[CheckResult], used_fallback: bool) -> Counter:
    counts: Counter = Counter()
    print("== scim2-tester report ==")
    if used_fallback:
        print(
            "Discovery (/ServiceProviderConfig, /ResourceTypes, /Schemas) did not describe the\n"
            "server; the checks after it ran against the fallback description of idsync."
        )
    for r in results:
        mark = label(r.status)
        counts[mark] += 1
        where = f" [{r.resource_type}]" if r.resource_type else ""
        print(f"{mark} {r.title}{where} ({r.status.name})")
        if r.reason and (mark != "PASS" or os.environ.get("CONFORMANCE_VERBOSE")):
            print(textwrap.indent(str(r.reason).rstrip(), "      "))
        if mark in ("FAIL", "WARN") and r.data is not None:
            print(textwrap.indent("data: " + shorten(r.data), "      "))
    return counts


def to_json(results: list[CheckResult]) -> list[dict[str, Any]]:
    return [
        {
            "status": r.status.name,
            "title": r.title,
            "resource_type": r.resource_type,
            "tags": sorted(r.tags),
            "reason": r.reason,
            "data": shorten(r.data) if r.data is not None else None,
        }
        for r in results
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", required=True, help="write `PASSED FAILED SKIPPED` here")
    parser.add_argument("--http-log", help="write every request and response here")
    parser.add_argument("--json", help="write the results as JSON here")
    args = parser.parse_args()
    seed = int(os.environ.get("CONFORMANCE_SEED") or "7643")
    random.seed(seed)
    print(f"scim2-tester with CONFORMANCE_SEED={seed}")
    url = os.environ["CONFORMANCE_URL"].rstrip("/") + "/"
    token = os.environ["CONFORMANCE_TOKEN"]

    log = HttpLog(args.http_log)
    http = httpx2.Client(
        base_url=url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
        event_hooks={"request": [log.request], "response": [log.response]},
    )
    client = SyncSCIMClient(http)
    try:
        results, used_fallback = run_checks(client, http)
    except Exception:
        # scim2-tester catches what a check raises; anything reaching here is a
        # crash of the tester or of this runner, and must not pass as green.
        traceback.print_exc()
        results = [
            CheckResult(status=Status.CRITICAL, title="scim2-tester run", reason="the run crashed (traceback above)")
        ]
        used_fallback = False
    counts = report(results, used_fallback)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(to_json(results), f, indent=1)
    passed, failed = counts["PASS"], counts["FAIL"] + counts["WARN"]
    with open(args.counts, "w", encoding="utf-8") as f:
        f.write(f"{passed} {failed} {counts['SKIP']}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
