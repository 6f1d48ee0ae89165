"""The site as CloudFront serves it: the routing functions taken from the synthesized
template, run in Node over the built export (`frontend/out`) and an S3 bucket holding
it; the local server's routing against them; the header CSP; caching and uploads."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from entrypoints.http.middleware import PAGE_POLICY
from entrypoints.http.static import NOT_FOUND_PAGES, Site, export_files
from infra.site import MAX_FUNCTION_BYTES, SiteExport
from tests.infra.cloudfront import Outcome, run_site, run_viewer_request
from tests.infra.conftest import Synthesized, require_built_site

pytestmark = pytest.mark.integration

IMMUTABLE = "public, max-age=31536000, immutable"
# Paths no page or file answers to, including near misses of real ones.
UNKNOWN = [
    "/no-such-page",
    "/no-such-page/",
    "/sign-in/nothing",
    "/sign-in/nothing/",
    "/Sign-In/",
    "/SIGN-IN",
    "//sign-in/",
    "/sign-in//",
    "/./sign-in/",
    "/sign-in/./",
    "/x/../sign-in/",
    "/%73ign-in/",
    "/sign-in%2F",
    "/admin",
    "/admin/",
    "/_next/static/../index.html",
    "/_next/static/chunks/",
    "/_next/static//x.js",
    "/_next/static/%2e%2e/index.html",
    "/index.html/",
    "/.env",
    "//evil.example",
    "//evil.example/",
    "/\\evil.example",
]


def _function_codes(synth: Synthesized, pattern: str | None = None) -> dict[str, str]:
    """The code of each function associated with a behavior, by event type."""
    config = synth.json["Resources"][synth.one("AWS::CloudFront::Distribution")[0]]
    distribution = config["Properties"]["DistributionConfig"]
    if pattern is None:
        behavior = distribution["DefaultCacheBehavior"]
    else:
        behavior = next(b for b in distribution["CacheBehaviors"] if b["PathPattern"] == pattern)
    codes = {}
    for association in behavior.get("FunctionAssociations", []):
        function_id = association["FunctionARN"]["Fn::GetAtt"][0]
        resource = synth.json["Resources"][function_id]["Properties"]
        assert resource["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
        codes[association["EventType"]] = resource["FunctionCode"]
    return codes


def _objects(root: Path) -> list[str]:
    """The bucket's keys after a deploy of `root`."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _pages(root: Path) -> list[str]:
    """Every page of the export, as its canonical path (`/`, `/sign-in/`, ...)."""
    return sorted(
        "/" + "".join(f"{part}/" for part in p.parent.relative_to(root).parts)
        for p in root.rglob("index.html")
    )


def _run(
    synth: Synthesized, cases: list[tuple[str, str | None]]
) -> dict[tuple[str, str | None], Outcome]:
    codes = _function_codes(synth)
    outcomes = run_site(
        codes["viewer-request"], codes["viewer-response"], _objects(synth.site), cases
    )
    return dict(zip(cases, outcomes, strict=True))


@pytest.fixture(scope="module")
def site(dev: Synthesized) -> Path:
    return require_built_site(dev)


def test_the_functions_hold_the_exports_file_list_within_cloudfronts_size_limit(
    dev: Synthesized, site: Path
) -> None:
    codes = _function_codes(dev)
    assert set(codes) == {"viewer-request", "viewer-response"}
    for code in codes.values():
        assert len(code.encode()) <= MAX_FUNCTION_BYTES
        files = json.loads(re.search(r"var FILES = (\{.*?\});", code).group(1))  # type: ignore[union-attr]
        assert set(files) == set(export_files(site))
        assert "/verify-email/index.html" in files


def test_every_page_answers_at_its_slashed_path(dev: Synthesized, site: Path) -> None:
    pages = _pages(site)
    assert {"/", "/sign-in/", "/sign-up/", "/verify-email/", "/reset-password/"} <= set(pages)
    assert {"/profile/", "/security/", "/admin/users/"} <= set(pages)
    cases: list[tuple[str, str | None]] = []
    for page in pages:
        cases += [(page, None), (page, "x=1"), (page, ""), (page + "index.html", None)]
    for (path, _), outcome in _run(dev, cases).items():
        page_file = path if path.endswith(".html") else path + "index.html"
        assert outcome.object == page_file[1:], (path, outcome)
        expected = 404 if page_file in NOT_FOUND_PAGES else 200
        assert set(outcome.statuses) == {expected}, (path, outcome)


def test_a_page_path_without_its_slash_is_redirected_to_it_with_the_query(
    dev: Synthesized, site: Path
) -> None:
    """`/verify-email#token=...` (an emailed link: the fragment never reaches the
    server, and the browser keeps it across the redirect) and `/sign-in?next=...`."""
    pages = [p for p in _pages(site) if p != "/"]
    queries = [None, "", "next=%2Fprofile%2F", "a=1&a=2&b", "token=a%2Bb%3D%3D"]
    cases = [(page[:-1], query) for page in pages for query in queries]
    results = _run(dev, cases)
    for (path, query), outcome in results.items():
        assert outcome.status == 308, (path, query, outcome)
        expected = path + "/" + (f"?{query}" if query else "")
        assert outcome.location == expected
    # ... and where it points is served.
    targets = sorted({(o.location.partition("?")[0], None) for o in results.values() if o.location})
    for target, outcome in _run(dev, targets).items():
        assert outcome.status in {200, 404}, (target, outcome)
        assert outcome.object, (target, outcome)


def test_every_file_of_the_export_is_served_as_it_is(dev: Synthesized, site: Path) -> None:
    keys = _objects(site)
    assert any(k.startswith("_next/static/chunks/") for k in keys)
    cases: list[tuple[str, str | None]] = [("/" + quote(k), None) for k in keys]
    for (path, _), outcome in _run(dev, cases).items():
        assert outcome.object == path[1:], (path, outcome)
        assert set(outcome.statuses) == {404 if path in NOT_FOUND_PAGES else 200}


def test_an_unknown_path_gets_the_sites_404_page_with_status_404(
    dev: Synthesized, site: Path
) -> None:
    cases: list[tuple[str, str | None]] = [(path, None) for path in UNKNOWN]
    cases += [(path, "next=%2F%2Fevil.example") for path in UNKNOWN[:4]]
    for case, outcome in _run(dev, cases).items():
        assert outcome.object == "404.html", (case, outcome)
        # Whichever request the viewer-response event carries (as sent or as rewritten).
        assert outcome.statuses == (404, 404), (case, outcome)


def test_a_missing_build_file_is_a_404_from_the_bucket_not_a_403(dev: Synthesized) -> None:
    [outcome] = _run(dev, [("/_next/static/chunks/0000000000000.js", None)]).values()
    assert (outcome.status, outcome.object) == (404, None)


def test_no_path_redirects_off_the_site(dev: Synthesized, site: Path) -> None:
    probes = [*UNKNOWN, *(p[:-1] for p in _pages(site) if p != "/")]
    probes += ["//evil.example/sign-in", "/\\evil.example/sign-in", "/%2F%2Fevil.example"]
    for (path, _), outcome in _run(dev, [(p, "next=x") for p in probes]).items():
        if outcome.location is not None:
            assert outcome.location.startswith("/"), path
            assert not outcome.location.startswith("//"), path
            assert "\\" not in outcome.location, path


def test_the_local_server_routes_every_path_as_the_cdn_does(dev: Synthesized, site: Path) -> None:
    """`app serve` (static.py, used by the browser tests) over the same paths as the
    functions: same file, same status, same redirect; no directory resolution of its own."""
    local = Site(site)
    paths = [*_pages(site), *(p[:-1] for p in _pages(site) if p != "/"), *UNKNOWN]
    paths += ["/" + quote(k) for k in _objects(site)]
    paths += ["/_next/static/chunks/0000000000000.js", "/sign-in/index.txt", "/404.html"]
    for (path, _), outcome in _run(dev, [(p, None) for p in paths]).items():
        route = local.resolve(path)
        if outcome.location is not None:
            assert route.redirect == outcome.location, path
        elif outcome.object is None:  # the bucket has no such object
            assert route.file is not None, path
            assert local.path_of(route.file) is None, path
        else:
            assert route.redirect is None, path
            assert route.file == "/" + quote(outcome.object), path
            assert route.status == outcome.status, path
            assert local.path_of(route.file) is not None, path


def test_the_schema_assets_are_routed_like_the_site(dev: Synthesized) -> None:
    assert _function_codes(dev, "/schema/assets/*") == _function_codes(dev)


def test_the_viewer_ip_function_overwrites_a_forged_header(dev: Synthesized) -> None:
    codes = _function_codes(dev, "/api/*")
    assert set(codes) == {"viewer-request"}
    out = run_viewer_request(
        codes["viewer-request"], "/api/v1/auth/sign-in", {"x-viewer-ip": "203.0.113.9"}
    )
    assert out["headers"]["x-viewer-ip"] == {"value": "198.51.100.7"}
    assert out["uri"] == "/api/v1/auth/sign-in"


# ---- headers -------------------------------------------------------------------------


def _behaviors(synth: Synthesized) -> list[dict[str, Any]]:
    _, distribution = synth.one("AWS::CloudFront::Distribution")
    behaviors: list[dict[str, Any]] = distribution["Properties"]["DistributionConfig"][
        "CacheBehaviors"
    ]
    return behaviors


def _headers_policy(synth: Synthesized, behavior: dict[str, Any]) -> dict[str, Any]:
    policy_id = behavior["ResponseHeadersPolicyId"]["Ref"]
    config: dict[str, Any] = synth.json["Resources"][policy_id]["Properties"][
        "ResponseHeadersPolicyConfig"
    ]
    return config


def _sha256(script: bytes) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"


def test_the_site_policy_allows_exactly_the_exports_inline_scripts(
    dev: Synthesized, site: Path
) -> None:
    _, distribution = dev.one("AWS::CloudFront::Distribution")
    default = distribution["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    csp = _headers_policy(dev, default)["SecurityHeadersConfig"]["ContentSecurityPolicy"]
    assert csp["Override"] is True
    policy = csp["ContentSecurityPolicy"]
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    # PAGE_POLICY (the app's and, bar frame-ancestors, csp.mjs's), with the hashes.
    assert list(directives) == [d.split(" ", 1)[0] for d in PAGE_POLICY]
    script_src = directives["script-src"].split()
    assert script_src[0] == "'self'"
    inline = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.I | re.S)
    expected = {
        _sha256(m.group(1))
        for page in site.rglob("*.html")
        for m in inline.finditer(page.read_bytes())
        if m.group(1)
    }
    assert expected
    assert set(script_src[1:]) == expected
    # Each page's own <meta> policy (csp.mjs) names a subset: the browser enforces both.
    meta = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)"')
    for page in site.rglob("*.html"):
        found = meta.search(page.read_text())
        assert found is not None, page
        page_directives = dict(d.split(" ", 1) for d in found.group(1).split("; "))
        assert set(page_directives["script-src"].split()[1:]) <= expected
        assert {k: v for k, v in page_directives.items() if k != "script-src"} == {
            k: v for k, v in directives.items() if k not in {"script-src", "frame-ancestors"}
        }


def test_api_responses_keep_the_apps_own_policy(dev: Synthesized) -> None:
    """`/schema` sends its own policy (its docs page and its assets); the distribution
    adds the app's strict API policy only to responses that carry none."""
    behaviors = {b["PathPattern"]: b for b in _behaviors(dev)}
    for pattern in ("/api/*", "/health*", "/schema*", "/.well-known/*"):
        csp = _headers_policy(dev, behaviors[pattern])["SecurityHeadersConfig"][
            "ContentSecurityPolicy"
        ]
        assert csp["Override"] is False, pattern
        assert csp["ContentSecurityPolicy"] == "default-src 'none'; frame-ancestors 'none'"


def test_schema_assets_come_from_the_bucket_before_the_schema_route(dev: Synthesized) -> None:
    behaviors = _behaviors(dev)
    patterns = [b["PathPattern"] for b in behaviors]
    assert patterns.index("/schema/assets/*") < patterns.index("/schema*")
    _, distribution = dev.one("AWS::CloudFront::Distribution")
    default = distribution["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    assets = behaviors[patterns.index("/schema/assets/*")]
    assert assets["TargetOriginId"] == default["TargetOriginId"]
    assert assets["ResponseHeadersPolicyId"] == default["ResponseHeadersPolicyId"]
    assert assets["CachePolicyId"] == default["CachePolicyId"]
    assert behaviors[patterns.index("/schema*")]["TargetOriginId"] != default["TargetOriginId"]


# ---- uploads and caching -------------------------------------------------------------


def _deployments(synth: Synthesized) -> dict[str, dict[str, Any]]:
    return synth.resources("Custom::CDKBucketDeployment")


def test_hashed_build_files_are_immutable_and_never_pruned(dev: Synthesized) -> None:
    deployments = _deployments(dev)
    assert len(deployments) == 2
    [assets] = [d for d in deployments.values() if d["Properties"].get("Include")]
    props = assets["Properties"]
    assert (props["Exclude"], props["Include"]) == (["*"], ["_next/static/*"])
    assert props["Prune"] is False  # open tabs still load the previous build's chunks
    assert props["SystemMetadata"] == {"cache-control": IMMUTABLE}
    assert "DistributionId" not in props


def test_everything_else_is_revalidated_and_uploaded_after_the_build_files(
    dev: Synthesized,
) -> None:
    deployments = _deployments(dev)
    [(pages_id, pages)] = [
        (k, d) for k, d in deployments.items() if not d["Properties"].get("Include")
    ]
    [assets_id] = [k for k in deployments if k != pages_id]
    props = pages["Properties"]
    assert props["Exclude"] == ["_next/static/*"]  # neither uploaded nor pruned here
    assert props["SystemMetadata"] == {"cache-control": "no-cache"}
    assert props["DistributionPaths"] == ["/*"]
    # New pages never refer to chunks that are not uploaded yet.
    assert assets_id in pages.get("DependsOn", [])


def test_cloudfront_may_list_the_bucket_so_a_missing_file_is_a_404(dev: Synthesized) -> None:
    _, policy = dev.one("AWS::S3::BucketPolicy")
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    lists = [s for s in statements if "s3:ListBucket" in json.dumps(s.get("Action"))]
    assert lists
    for statement in lists:
        assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        assert "AWS:SourceArn" in json.dumps(statement["Condition"])


# ---- without a build -----------------------------------------------------------------


def test_without_a_build_the_policy_allows_no_inline_script_and_no_page(tmp_path: Path) -> None:
    export = SiteExport.at(tmp_path)
    assert not export.built
    policy = export.content_security_policy()
    assert "script-src 'self';" in policy
    assert "sha256" not in policy
    code = export.function_code("viewer-request")
    assert "var FILES = {};" in code


def test_the_stack_synthesizes_without_a_build(lambda_bundle: Any, tmp_path: Path) -> None:
    """No upload, a routing function that knows no page, a header policy without hashes."""
    from aws_cdk.assertions import Template

    from infra.app import build_app

    empty = tmp_path / "out"
    empty.mkdir()
    _, stack = build_app(
        {"stage": "dev", "frontend_dir": str(empty)},
        bundle_zip=lambda_bundle.zip_path,
        outdir=tmp_path / "cdk.out",
    )
    template = Template.from_stack(stack).to_json()
    kinds = {r["Type"] for r in template["Resources"].values()}
    assert "Custom::CDKBucketDeployment" not in kinds
    policies = [
        r["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudFront::ResponseHeadersPolicy"
    ]
    site_policy = next(p for p in policies if p["ContentSecurityPolicy"]["Override"])
    assert "sha256" not in site_policy["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert "'unsafe-inline'" not in json.dumps(policies)
