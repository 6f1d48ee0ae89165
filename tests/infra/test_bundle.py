"""The Lambda bundle: built for arm64 without Docker, small enough, complete, importable.

The arm64 wheels cannot run here, so completeness is checked two ways: every third-party
module the handler imports in this virtualenv (exercised through real requests) is in
the arm64 bundle; and the same recipe built for this machine is imported and invoked by
a bare interpreter (no site-packages), Python 3.13 when one is found.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from infra.bundle import (
    APP_PACKAGES,
    EXCLUDED_ROOTS,
    EXCLUDED_TRANSITIVE,
    RUNTIME_PROVIDED,
    Bundle,
    build_bundle,
    find_python,
    host_target,
    normalize,
    write_zip,
)
from tests.infra.conftest import REPORT
from tests.integration.lambda_events import rest_v1_event

pytestmark = pytest.mark.integration

MIB = 1024 * 1024
# Outside APP_ENV local/test the app sends email with SES and needs a sender. In a bare
# interpreter boto3 is absent, so a send fails at once: logged, and the request goes on.
SENDER = "no-reply@example.com"
ZIP_BUDGET = 20 * MIB
ELF_MACHINE_AARCH64 = 183
PASSWORD = "velvet harbor quantum meadow"
# A generated secret (outside local, a placeholder such as "s" * 48 is refused).
SECRET = "q2Vx8Lr0aTz_kN4mPw7cYb1HdG9sJf3uE6iR5oXn-Q2vW8yA"

# Runs in this virtualenv: drive the handler through the routes, then list the
# distributions whose modules got imported.
USAGE_PROBE = textwrap.dedent(
    """
    import json, os, sys
    from importlib.metadata import packages_distributions
    os.environ.update({
        "APP_ENV": "dev", "APP_STORAGE": "memory",
        "JWT_SECRET": "q2Vx8Lr0aTz_kN4mPw7cYb1HdG9sJf3uE6iR5oXn-Q2vW8yA",
        "EMAIL_FROM": "no-reply@example.com",
        "IDENTIFIER_HMAC_KEY": "h8Tq3Vw1Ls6Np0Xc4Bz7Rm2Kd9Fy5Gj_Ue-Ai3Ho8Wt1Qn6Ev",
    })
    # Sign-up sends a verification email: SES is stubbed (no AWS call from a test); boto3
    # is the Lambda runtime's anyway, never the bundle's.
    import adapters.email.ses
    class _Ses:
        def send_email(self, **request):
            return {"MessageId": "probe"}
    adapters.email.ses.SesEmailSender._get_client = lambda self: _Ses()
    from entrypoints.lambda_handler import handler
    import adapters.mongo.connection, adapters.mongo.users, adapters.mongo.sessions
    import adapters.mongo.throttles, adapters.mongo.probe
    for event in json.load(sys.stdin):
        assert handler(event, None)["statusCode"] < 500, event["path"]
    owners = packages_distributions()
    loaded = [m for m, module in list(sys.modules.items()) if module is not None]
    used = {d for m in loaded for d in owners.get(m.split(".")[0], [])}
    print(json.dumps(sorted(used)))
    """
)

# Runs in a bare interpreter with only the bundle on sys.path.
INVOKE_FROM_BUNDLE = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from entrypoints.lambda_handler import handler
    events = json.load(sys.stdin)
    results = [handler(event, None) for event in events]
    print(json.dumps({
        "statuses": [r["statusCode"] for r in results],
        "modules": sorted({m.split(".")[0] for m, mod in sys.modules.items() if mod}),
        "files": {
            m: getattr(sys.modules.get(m), "__file__", None) or ""
            for m in ("pymongo", "argon2", "msgspec")
        },
    }))
    """
)


def _events() -> list[dict[str, object]]:
    user = {"email": "ann@example.com", "password": PASSWORD, "name": "Ann"}
    return [
        rest_v1_event("GET", "/health"),
        rest_v1_event("POST", "/api/v1/auth/sign-up", body=user),
        rest_v1_event(
            "POST", "/api/v1/auth/sign-in", body={k: user[k] for k in ("email", "password")}
        ),
        rest_v1_event("GET", "/schema/openapi.json"),
    ]


def _locked_distributions() -> set[str]:
    """The runtime pins of uv.lock that apply on Linux."""
    from infra.bundle import locked_requirements

    names = set()
    for line in locked_requirements().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or line.endswith("sys_platform == 'win32'"):
            continue
        names.add(normalize(line.split("==")[0].split(" ")[0]))
    return names


def test_the_zipped_bundle_is_within_budget(lambda_bundle: Bundle) -> None:
    REPORT["bundle"] = lambda_bundle.summary()
    assert lambda_bundle.zipped_bytes <= ZIP_BUDGET
    # Lambda's own limit for unzipped code.
    assert lambda_bundle.unzipped_bytes < 250 * MIB


def test_native_extensions_are_built_for_arm64_and_cpython_3_13(lambda_bundle: Bundle) -> None:
    extensions = sorted(lambda_bundle.directory.rglob("*.so"))
    assert any("argon2" in str(p) for p in extensions)
    for extension in extensions:
        header = extension.read_bytes()[:20]
        assert header[:4] == b"\x7fELF", extension
        machine = int.from_bytes(header[18:20], "little")
        assert machine == ELF_MACHINE_AARCH64, f"{extension} is not aarch64"
        name = extension.name
        if ".cpython-" in name:
            assert ".cpython-313-aarch64-linux-gnu." in name, name


def test_the_app_packages_are_in_the_bundle_with_their_bytecode(lambda_bundle: Bundle) -> None:
    for package in APP_PACKAGES:
        assert (lambda_bundle.directory / package / "__init__.py").is_file()
    handler = lambda_bundle.directory / "entrypoints" / "lambda_handler.py"
    assert handler.is_file()
    assert not list(lambda_bundle.directory.glob("tests")), "tests must not ship"
    if lambda_bundle.byte_compiled:
        assert list(
            (lambda_bundle.directory / "entrypoints" / "__pycache__").glob("*.cpython-313.pyc")
        )


def test_every_locked_runtime_dependency_is_bundled_unless_excluded_with_a_reason(
    lambda_bundle: Bundle,
) -> None:
    excluded = {normalize(n) for n in (*EXCLUDED_ROOTS, *EXCLUDED_TRANSITIVE)}
    bundled = set(lambda_bundle.distributions)
    assert not bundled & excluded, bundled & excluded
    # Only dependencies of the excluded roots, or platform-specific ones, may be missing.
    missing = _locked_distributions() - bundled - excluded
    only_for_excluded_or_other_platforms = {
        "neosqlite",  # nx-27017
        "requests",  # grafana-client
        "verlib2",
        "charset-normalizer",
    }
    assert missing <= only_for_excluded_or_other_platforms, missing


def test_every_module_the_handler_imports_is_in_the_bundle(lambda_bundle: Bundle) -> None:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", USAGE_PROBE],
        input=json.dumps(_events()),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    used = {normalize(d) for d in json.loads(result.stdout.strip().splitlines()[-1])}
    runtime = _locked_distributions()
    needed = (used & runtime) - {normalize(n) for n in RUNTIME_PROVIDED}
    assert needed, "the probe found no third-party module"
    assert needed <= set(lambda_bundle.distributions), needed - set(lambda_bundle.distributions)


@pytest.fixture(scope="session")
def host_bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Bundle, str]:
    """The same recipe for this machine, with Python 3.13 if there is one."""
    python = find_python("3.13")
    version = "3.13" if python else f"{sys.version_info.major}.{sys.version_info.minor}"
    python = python or sys.executable
    return build_bundle(host_target(version)), python


def test_the_handler_answers_from_the_bundle_directory_alone(
    host_bundle: tuple[Bundle, str],
) -> None:
    bundle, python = host_bundle
    env = {
        "APP_ENV": "dev",
        "APP_STORAGE": "memory",
        "JWT_SECRET": SECRET,
        # Outside local/test the app needs the identifiers' HMAC key (a secret on AWS).
        "IDENTIFIER_HMAC_KEY": "h8Tq3Vw1Ls6Np0Xc4Bz7Rm2Kd9Fy5Gj_Ue-Ai3Ho8Wt1Qn6Ev",
        "EMAIL_FROM": SENDER,
        "PATH": "/usr/bin:/bin",
    }
    # -I -S: no user site, no site-packages, no PYTHONPATH; only the bundle and the stdlib.
    result = subprocess.run(  # noqa: S603
        [python, "-I", "-S", "-c", INVOKE_FROM_BUNDLE, str(bundle.directory)],
        input=json.dumps(_events()),
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=bundle.directory.parent,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["statuses"] == [200, 201, 200, 200]
    for module, path in outcome["files"].items():
        if path:
            assert path.startswith(str(bundle.directory)), (module, path)
    assert not {"rich", "faker", "polyfactory", "granian"} & set(outcome["modules"])
    REPORT["host import"] = f"{Path(python).name} {bundle.target.python} from {bundle.directory}"


def test_the_mongodb_wiring_imports_from_the_bundle(host_bundle: tuple[Bundle, str]) -> None:
    bundle, python = host_bundle
    env = {
        "APP_ENV": "prod",
        "APP_STORAGE": "mongo",
        # Never contacted: /health does no I/O and the client connects lazily.
        "MONGODB_URI": "mongodb://127.0.0.1:9/",
        "KMS_KEY_ID": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd",
        "JWT_SECRET": SECRET,
        # Outside local/test the app needs the identifiers' HMAC key (a secret on AWS).
        "IDENTIFIER_HMAC_KEY": "h8Tq3Vw1Ls6Np0Xc4Bz7Rm2Kd9Fy5Gj_Ue-Ai3Ho8Wt1Qn6Ev",
        "EMAIL_FROM": SENDER,
        "AWS_LAMBDA_FUNCTION_NAME": "serverless-auth-test",
    }
    result = subprocess.run(  # noqa: S603
        [python, "-I", "-S", "-c", INVOKE_FROM_BUNDLE, str(bundle.directory)],
        input=json.dumps([rest_v1_event("GET", "/health")]),
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["statuses"] == [200]
    assert "pymongo" in outcome["modules"]


@pytest.fixture
def lambda_runtime(tmp_path: Path) -> Path:
    """What the Lambda runtime adds to sys.path (boto3, botocore and their dependencies),
    taken from this virtualenv: pure Python, so any interpreter can import them."""
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    for module in ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3"):
        spec = importlib.util.find_spec(module)
        assert spec is not None, module
        assert spec.origin, module
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (runtime / source.name).symlink_to(source)
    return runtime


def test_x_ray_tracing_works_from_the_bundle_with_the_runtime_botocore(
    host_bundle: tuple[Bundle, str], lambda_runtime: Path
) -> None:
    bundle, python = host_bundle
    env = {
        "APP_ENV": "prod",
        "APP_STORAGE": "memory",
        "JWT_SECRET": SECRET,
        # Outside local/test the app needs the identifiers' HMAC key (a secret on AWS).
        "IDENTIFIER_HMAC_KEY": "h8Tq3Vw1Ls6Np0Xc4Bz7Rm2Kd9Fy5Gj_Ue-Ai3Ho8Wt1Qn6Ev",
        "EMAIL_FROM": SENDER,
        "AWS_LAMBDA_FUNCTION_NAME": "serverless-auth-test",
        "TRACER": "xray",
        "_X_AMZN_TRACE_ID": (
            "Root=1-65f2a7c4-0a1b2c3d4e5f60718293a4b5;Parent=53995c3f42cd8ad8;Sampled=1"
        ),
        # Nothing listens there: the X-Ray SDK sends UDP and does not wait for an answer.
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
    }
    script = INVOKE_FROM_BUNDLE.replace(
        "sys.path.insert(0, sys.argv[1])", "sys.path[:0] = [sys.argv[1], sys.argv[2]]"
    )
    result = subprocess.run(  # noqa: S603
        [python, "-I", "-S", "-c", script, str(bundle.directory), str(lambda_runtime)],
        input=json.dumps([rest_v1_event("GET", "/health")]),
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["statuses"] == [200]
    assert {"aws_xray_sdk", "botocore"} <= set(outcome["modules"])


def test_the_zip_is_reproducible(tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "pkg").mkdir(parents=True)
    (source / "pkg" / "__init__.py").write_text("x = 1\n")
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    write_zip(source, first)
    (source / "pkg" / "__init__.py").touch()
    write_zip(source, second)
    assert first.read_bytes() == second.read_bytes()
