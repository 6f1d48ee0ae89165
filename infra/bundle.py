"""The Lambda code bundle, built without Docker: `python -m infra.bundle`.

pip resolves the app's runtime dependencies (`[project].dependencies`, minus what Lambda
does not need) for the Lambda platform — CPython 3.13 on arm64, manylinux wheels only —
with every version pinned by the lock file (`uv export`), downloads the wheels and
installs them into a directory beside the app packages. Nothing is compiled from source,
so the host's architecture and Python version do not matter.

The dependency layer is cached under `infra/.build/` by a hash of everything that decides
it (pins, roots, exclusions, platform, pip version), so rebuilding after a code change
only copies the app. The bundle is then written as a deterministic zip (sorted entries,
fixed timestamps and modes): the asset hash changes only when the content does, and the
zip measured here is exactly the one uploaded.

When an interpreter of the target's Python version is found, the bundle is byte-compiled
with unchecked-hash `.pyc` files: `/var/task` is read-only, so without them every cold
start compiles every imported module again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A dot directory: mypy and ruff, pointed at infra/, do not descend into the wheels.
BUILD_DIR = ROOT / "infra" / ".build"
APP_PACKAGES = ("domain", "application", "adapters", "entrypoints", "observability")
# pip itself is pinned too: its resolver and its platform-tag rules decide the bundle.
PIP = "pip==26.3"
# Bump to invalidate every cached dependency layer after a change to how it is built.
LAYOUT_VERSION = "1"

# Direct dependencies of the project that the Lambda function never imports.
EXCLUDED_ROOTS: dict[str, str] = {
    "granian": "the local HTTP server of `app serve`; API Gateway invokes the handler",
    "nx-27017": "the embedded local MongoDB stand-in; on Lambda the store is Atlas",
    "motor": "optional driver (MONGODB_DRIVER=motor); the stack uses PyMongo's async client",
    "grafana-client": "dashboards are provisioned from a workstation or CI, never from Lambda",
}

_RUNTIME = "provided by the Lambda Python runtime (boto3 and botocore with their dependencies)"
_CONSOLE = "console tooling of Litestar's CLI and structlog's dev renderer; Lambda logs JSON"
# Transitive dependencies left out of the bundle, with the reason.
EXCLUDED_TRANSITIVE: dict[str, str] = {
    "boto3": _RUNTIME,
    "botocore": _RUNTIME,
    "s3transfer": _RUNTIME,
    "jmespath": _RUNTIME,
    "python-dateutil": _RUNTIME,
    "six": _RUNTIME,
    "urllib3": _RUNTIME,
    # Litestar imports polyfactory only to generate OpenAPI examples, which the app does
    # not enable; faker alone is ~14 MB.
    "polyfactory": "Litestar's test-data factories (OpenAPI examples, off in this app)",
    "faker": "test-data generator behind polyfactory",
    "rich": _CONSOLE,
    "rich-click": _CONSOLE,
    "click": _CONSOLE,
    "pygments": _CONSOLE,
    "markdown-it-py": _CONSOLE,
    "mdurl": _CONSOLE,
}

# What the Lambda runtime brings, so a local import test can stand in for it.
RUNTIME_PROVIDED = frozenset(n for n, why in EXCLUDED_TRANSITIVE.items() if why == _RUNTIME)


class BundleError(RuntimeError):
    """The bundle could not be built (a tool failed or a wheel is missing)."""


@dataclass(frozen=True, slots=True)
class Target:
    """A Lambda-like platform: CPU architecture and CPython version."""

    machine: str
    python: str
    name: str

    @property
    def platforms(self) -> list[str]:
        # Lambda's Python 3.13 runtime is Amazon Linux 2023 (glibc 2.34): every manylinux
        # tag up to 2.34 runs there. pip does not expand a tag to older ones by itself.
        return [f"manylinux2014_{self.machine}"] + [
            f"manylinux_2_{minor}_{self.machine}" for minor in range(17, 35)
        ]

    @property
    def pip_args(self) -> list[str]:
        platforms = [arg for tag in self.platforms for arg in ("--platform", tag)]
        return [
            *platforms,
            "--implementation",
            "cp",
            "--python-version",
            self.python,
            "--only-binary=:all:",
        ]


LAMBDA = Target(machine="aarch64", python="3.13", name="lambda-arm64")


def host_target(python: str) -> Target:
    """This machine's architecture: a bundle the local interpreter can import."""
    machine = platform.machine()
    return Target(machine=machine, python=python, name=f"host-{machine}-py{python}")


@dataclass(frozen=True, slots=True)
class Bundle:
    target: Target
    directory: Path
    zip_path: Path
    distributions: dict[str, str]
    unzipped_bytes: int
    zipped_bytes: int
    byte_compiled: bool

    def summary(self) -> str:
        mib = 1024 * 1024
        compiled = ", byte-compiled" if self.byte_compiled else ""
        return (
            f"{self.target.name}: {len(self.distributions)} distributions, "
            f"unzipped {self.unzipped_bytes / mib:.1f} MiB, "
            f"zipped {self.zipped_bytes / mib:.1f} MiB{compiled} ({self.zip_path})"
        )


def normalize(name: str) -> str:
    """PEP 503 name normalization: `Rich_Click` and `rich-click` are one distribution."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if match is None:
        raise BundleError(f"cannot read a requirement name from {requirement!r}")
    return normalize(match.group(1))


def runtime_roots(root: Path = ROOT) -> list[str]:
    """`[project].dependencies` without the ones Lambda does not need."""
    with (root / "pyproject.toml").open("rb") as file:
        dependencies: list[str] = tomllib.load(file)["project"]["dependencies"]
    excluded = {normalize(name) for name in EXCLUDED_ROOTS}
    return [dep for dep in dependencies if _requirement_name(dep) not in excluded]


def _uv() -> list[str]:
    # `uv run` exports its own path as UV; the Makefile installs uv to ~/.local/bin.
    for candidate in (os.environ.get("UV"), shutil.which("uv"), Path.home() / ".local/bin/uv"):
        if candidate and Path(candidate).is_file():
            return [str(candidate)]
    raise BundleError("uv not found: install it (`python3 -m pip install uv`)")


def locked_requirements(root: Path = ROOT) -> str:
    """Every runtime package pinned as in uv.lock (no dev or infra groups)."""
    command = [
        *_uv(),
        "export",
        "--color",
        "never",
        "--frozen",
        "--no-hashes",
        "--no-header",
        "--no-default-groups",
        "--no-emit-project",
        "--format",
        "requirements-txt",
    ]
    return _run(command, cwd=root).stdout


def _pip() -> list[str]:
    return [*_uv(), "tool", "run", "--from", PIP, "pip"]


def _run(command: Sequence[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    # The CDK CLI runs the app with FORCE_COLOR set: keep escape codes out of the output.
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"} | {"NO_COLOR": "1"}
    result = subprocess.run(  # noqa: S603 - fixed tools, arguments built here
        list(command), cwd=cwd, capture_output=True, text=True, check=False, env=env
    )
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-20:])
        raise BundleError(f"{' '.join(command[:4])} ... failed ({result.returncode}):\n{tail}")
    return result


def find_python(version: str) -> str | None:
    """An interpreter of `version` (e.g. "3.13") that runs, or None.

    pyenv's shims for secondary versions may be broken, so its versions folder is
    searched too."""
    candidates: list[str | None] = [shutil.which(f"python{version}")]
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        candidates.insert(0, sys.executable)
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += [str(p) for p in sorted(pyenv_root.glob(f"versions/{version}*/bin/python3"))]
    for candidate in candidates:
        if not candidate:
            continue
        probe = subprocess.run(  # noqa: S603
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


def _cache_key(target: Target, roots: list[str], pins: str, compiler: str | None) -> str:
    material = json.dumps(
        {
            "layout": LAYOUT_VERSION,
            "pip": PIP,
            "target": [target.machine, target.python, target.platforms],
            "roots": roots,
            "pins": pins,
            "excluded": sorted(EXCLUDED_TRANSITIVE),
            "byte_compiled": compiler is not None,
        },
        sort_keys=True,
    )
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def _wheel_distribution(wheel: Path) -> str:
    return normalize(wheel.name.split("-", 1)[0])


def _install_dependencies(
    destination: Path, target: Target, roots: list[str], pins: str, compiler: str | None
) -> None:
    with tempfile.TemporaryDirectory(dir=destination.parent) as tmp:
        work = Path(tmp)
        (work / "roots.txt").write_text("\n".join(roots) + "\n")
        (work / "constraints.txt").write_text(pins)
        wheels = work / "wheels"
        _run(
            [
                *_pip(),
                "download",
                "--quiet",
                "--dest",
                str(wheels),
                *target.pip_args,
                "--requirement",
                str(work / "roots.txt"),
                "--constraint",
                str(work / "constraints.txt"),
            ]
        )
        excluded = {normalize(name) for name in EXCLUDED_TRANSITIVE}
        keep = sorted(w for w in wheels.glob("*.whl") if _wheel_distribution(w) not in excluded)
        site = work / "site"
        _run(
            [
                *_pip(),
                "install",
                "--quiet",
                "--no-index",
                "--no-deps",
                "--no-compile",
                "--target",
                str(site),
                *target.pip_args,
                *map(str, keep),
            ]
        )
        # pip --target leaves a bin/ of console scripts: nothing on Lambda runs them.
        shutil.rmtree(site / "bin", ignore_errors=True)
        if compiler is not None:
            _byte_compile(compiler, site)
        (site / ".complete").write_text("ok\n")
        site.rename(destination)


def _byte_compile(python: str, directory: Path) -> None:
    # unchecked-hash: the .pyc is trusted without stat-ing the source, which is right
    # for an immutable bundle and needs no writable cache directory at run time.
    _run(
        [
            python,
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            str(directory),
        ]
    )


def _copy_app(root: Path, destination: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")
    for package in APP_PACKAGES:
        shutil.copytree(root / package, destination / package, ignore=ignore)


def _distributions(directory: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for info in directory.glob("*.dist-info"):
        name, _, version = info.name.removesuffix(".dist-info").partition("-")
        found[normalize(name)] = version
    return dict(sorted(found.items()))


def _files(directory: Path) -> Iterable[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.name != ".complete")


def write_zip(directory: Path, zip_path: Path) -> None:
    """A reproducible zip: sorted entries, a fixed date, world-readable modes."""
    tmp = zip_path.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in _files(directory):
            info = zipfile.ZipInfo(path.relative_to(directory).as_posix(), (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            executable = path.stat().st_mode & 0o111
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    tmp.replace(zip_path)


def build_bundle(
    target: Target = LAMBDA,
    build_dir: Path = BUILD_DIR,
    *,
    root: Path = ROOT,
    byte_compile: bool = True,
) -> Bundle:
    """Build (or reuse) the dependency layer, add the app, write the zip and a manifest."""
    build_dir.mkdir(parents=True, exist_ok=True)
    roots = runtime_roots(root)
    pins = locked_requirements(root)
    compiler = find_python(target.python) if byte_compile else None
    key = _cache_key(target, roots, pins, compiler)
    deps = build_dir / f"deps-{target.name}-{key}"
    if not (deps / ".complete").is_file():
        shutil.rmtree(deps, ignore_errors=True)
        _install_dependencies(deps, target, roots, pins, compiler)
    for stale in build_dir.glob(f"deps-{target.name}-*"):
        if stale != deps:
            shutil.rmtree(stale, ignore_errors=True)

    directory = build_dir / target.name
    shutil.rmtree(directory, ignore_errors=True)
    shutil.copytree(deps, directory, ignore=shutil.ignore_patterns(".complete"))
    _copy_app(root, directory)
    if compiler is not None:
        for package in APP_PACKAGES:
            _byte_compile(compiler, directory / package)
    zip_path = build_dir / f"{target.name}.zip"
    write_zip(directory, zip_path)
    bundle = Bundle(
        target=target,
        directory=directory,
        zip_path=zip_path,
        distributions=_distributions(directory),
        unzipped_bytes=sum(p.stat().st_size for p in _files(directory)),
        zipped_bytes=zip_path.stat().st_size,
        byte_compiled=compiler is not None,
    )
    _write_manifest(bundle, build_dir / f"{target.name}.json")
    return bundle


def _write_manifest(bundle: Bundle, path: Path) -> None:
    manifest = {
        "target": {
            "machine": bundle.target.machine,
            "python": bundle.target.python,
            "platforms": bundle.target.platforms,
        },
        "zip": bundle.zip_path.name,
        "unzipped_bytes": bundle.unzipped_bytes,
        "zipped_bytes": bundle.zipped_bytes,
        "byte_compiled": bundle.byte_compiled,
        "app_packages": list(APP_PACKAGES),
        "distributions": bundle.distributions,
        "excluded": {**EXCLUDED_ROOTS, **EXCLUDED_TRANSITIVE},
    }
    path.write_text(json.dumps(manifest, indent=2) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.bundle", description=__doc__)
    parser.add_argument(
        "--host",
        metavar="PYTHON_VERSION",
        help="build for this machine and Python version instead (for local import tests)",
    )
    parser.add_argument("--build-dir", type=Path, default=BUILD_DIR)
    parser.add_argument("--no-byte-compile", action="store_true")
    args = parser.parse_args(argv)
    target = host_target(args.host) if args.host else LAMBDA
    try:
        bundle = build_bundle(target, args.build_dir, byte_compile=not args.no_byte_compile)
    except BundleError as exc:
        print(f"bundle: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    print(bundle.summary())  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
