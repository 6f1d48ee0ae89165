"""CloudFront Functions code run in Node the way CloudFront runs it on the site behavior.

A request goes through the viewer-request function; if that returns a request, its URI
is looked up among the bucket's objects (S3 answers 404 for a missing key: CloudFront
may list the bucket); an object found goes through the viewer-response function, which
CloudFront runs only for origin statuses below 400. Each function gets the event shape
of cloudfront-js-2.0 (lower-case header names, `querystring` object, `rawQueryString()`)
in a fresh V8 context holding only the language's built-ins.

Whether the viewer-response event carries the request as the viewer sent it or as the
viewer-request function rewrote it is not documented: both are run, and `statuses`
holds both answers.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

HARNESS = r"""
const vm = require('node:vm');
const input = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));

function load(code) {
  const context = vm.createContext({});
  vm.runInContext(code, context, { timeout: 1000 });
  if (typeof context.handler !== 'function') throw new Error('no handler');
  return context.handler;
}

function parseQuery(raw) {
  const querystring = {};
  if (!raw) return querystring;
  for (const pair of raw.split('&')) {
    const at = pair.indexOf('=');
    const name = at === -1 ? pair : pair.slice(0, at);
    const value = at === -1 ? '' : pair.slice(at + 1);
    if (querystring[name] === undefined) querystring[name] = { value };
    else {
      const field = querystring[name];
      field.multiValue = field.multiValue || [{ value: field.value }];
      field.multiValue.push({ value });
    }
  }
  return querystring;
}

function request(uri, query) {
  return {
    method: 'GET',
    uri,
    querystring: parseQuery(query),
    headers: { host: { value: 'd111111abcdef8.cloudfront.net' }, accept: { value: 'text/html' } },
    cookies: {},
    rawQueryString() { return query === null ? undefined : query; },
  };
}

function event(type, req, response) {
  const context = { distributionId: 'EDFDVBD6EXAMPLE', eventType: type, requestId: 'r' };
  const e = { version: '1.0', context, viewer: { ip: '198.51.100.7' }, request: req };
  if (response) e.response = response;
  return e;
}

const onRequest = load(input.request);
const onResponse = input.response ? load(input.response) : null;
const objects = new Set(input.objects);

const results = input.cases.map(([uri, query]) => {
  const out = onRequest(event('viewer-request', request(uri, query)));
  if (out.statusCode !== undefined) {
    const location = out.headers && out.headers.location ? out.headers.location.value : null;
    return { status: out.statusCode, location, object: null, statuses: [out.statusCode] };
  }
  let key;
  try {
    key = decodeURIComponent(out.uri.slice(1));
  } catch (malformed) {
    return { status: 400, location: null, object: null, statuses: [400] };
  }
  if (!objects.has(key)) return { status: 404, location: null, object: null, statuses: [404] };
  const statuses = [uri, out.uri].map((seen) => {
    if (!onResponse) return 200;
    const response = { statusCode: 200, statusDescription: 'OK', headers: {}, cookies: {} };
    return onResponse(event('viewer-response', request(seen, query), response)).statusCode;
  });
  return { status: statuses[0], location: null, object: key, statuses };
});
process.stdout.write(JSON.stringify(results));
"""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the viewer gets: a status and, for a redirect, its Location; for an object
    served from the bucket, its key (`object`)."""

    status: int
    location: str | None
    object: str | None
    statuses: tuple[int, ...]


def node() -> str:
    found = shutil.which("node")
    assert found is not None, "node is not on PATH (aws-cdk-lib needs it too)"
    return found


def run_site(
    request_code: str,
    response_code: str | None,
    objects: Iterable[str],
    cases: Sequence[tuple[str, str | None]],
) -> list[Outcome]:
    """Each (path, raw query or None) through the functions and a bucket of `objects`."""
    document: dict[str, Any] = {
        "request": request_code,
        "response": response_code,
        "objects": sorted(objects),
        "cases": [list(case) for case in cases],
    }
    result = subprocess.run(  # noqa: S603 - node with a fixed script on stdin
        [node(), "-e", HARNESS],
        input=json.dumps(document),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return [
        Outcome(r["status"], r["location"], r["object"], tuple(r["statuses"]))
        for r in json.loads(result.stdout)
    ]


def run_viewer_request(code: str, uri: str, headers: dict[str, str]) -> dict[str, Any]:
    """The request a viewer-request function returns for `uri` with `headers`."""
    script = r"""
const vm = require('node:vm');
const input = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const context = vm.createContext({});
vm.runInContext(input.code, context);
const headers = {};
for (const [name, value] of Object.entries(input.headers)) headers[name] = { value };
const request = { method: 'GET', uri: input.uri, querystring: {}, headers, cookies: {} };
const out = context.handler({ version: '1.0', context: { eventType: 'viewer-request' },
  viewer: { ip: '198.51.100.7' }, request });
process.stdout.write(JSON.stringify(out));
"""
    result = subprocess.run(  # noqa: S603
        [node(), "-e", script],
        input=json.dumps({"code": code, "uri": uri, "headers": headers}),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out: dict[str, Any] = json.loads(result.stdout)
    return out
