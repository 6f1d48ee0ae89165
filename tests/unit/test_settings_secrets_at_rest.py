"""Settings and wiring of secrets at rest: KMS_KEY_ID (required outside local runs on
MongoDB), the local key file, and the keys kept for opening after a rotation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.mongo.users import MongoUserRepository
from adapters.security.kms_keys import KmsKeyWrapper
from adapters.security.local_keys import LocalKeyWrapper
from entrypoints.bootstrap import build_services
from entrypoints.settings import SettingsError, load_settings

pytestmark = pytest.mark.unit

KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OLD_KEY = "arn:aws:kms:eu-west-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef"
PROD = {
    "APP_ENV": "prod",
    "JWT_SECRET": "q2Vx8Lr0aTz_kN4mPw7cYb1HdG9sJf3uE6iR5oXn-Q2vW8yA",
    "IDENTIFIER_HMAC_KEY": "h8Tq3Vw1Ls6Np0Xc4Bz7Rm2Kd9Fy5Gj_Ue-Ai3Ho8Wt1Qn6Ev",
    "EMAIL_FROM": "no-reply@example.com",
    "MONGODB_URI": "mongodb://db.example.com",
}


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_mongodb_storage_outside_local_runs_refuses_to_start_without_a_kms_key(
    environment: str,
) -> None:
    with pytest.raises(SettingsError, match=r"^KMS_KEY_ID: required outside APP_ENV=local/test"):
        load_settings({**PROD, "APP_ENV": environment})


def test_with_a_kms_key_the_service_starts_and_seals_under_it() -> None:
    settings = load_settings({**PROD, "KMS_KEY_ID": KEY})

    assert settings.kms_key_id == KEY
    users = build_services(settings).adapters.users
    assert isinstance(users, MongoUserRepository)
    assert isinstance(users._secrets._current, KmsKeyWrapper)
    assert users._secrets._previous == ()


def test_the_memory_store_keeps_nothing_at_rest_and_needs_no_key() -> None:
    settings = load_settings({**PROD, "MONGODB_URI": "", "APP_STORAGE": "memory"})

    assert settings.kms_key_id == ""


@pytest.mark.parametrize(
    "value",
    [
        "alias/serverless-auth",  # an alias can be re-pointed; values must name their key
        "arn:aws:kms:eu-west-1:123456789012:alias/serverless-auth",
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:kms:eu-west-1:1234:key/1234abcd",
        "arn:aws:kms:eu-west-1:123456789012:key/12.34",
        "arn:aws:kms:eu-west-1:123456789012:key/",
    ],
)
def test_anything_but_a_kms_key_arn_is_refused(value: str) -> None:
    for name in ("KMS_KEY_ID", "KMS_PREVIOUS_KEY_IDS"):
        with pytest.raises(SettingsError, match=rf"^{name}: must be a KMS key ARN"):
            load_settings({**PROD, "KMS_KEY_ID": KEY, name: value})


def test_local_runs_seal_under_a_key_file_in_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings(
        {"APP_ENV": "local", "MONGODB_URI": "mongodb://127.0.0.1:9", "APP_DATA_DIR": str(tmp_path)}
    )

    assert settings.kms_key_id == ""
    assert settings.secrets_key_file == str(tmp_path / "secrets.key")
    users = build_services(settings).adapters.users
    assert isinstance(users, MongoUserRepository)
    assert isinstance(users._secrets._current, LocalKeyWrapper)
    assert users._secrets._current._file == tmp_path / "secrets.key"
    assert not (tmp_path / "secrets.key").exists()  # made on first use, not at start-up
    assert load_settings({}).secrets_key_file == str(Path(".data") / "secrets.key")


def test_previous_keys_are_listed_for_opening_only(tmp_path: Path) -> None:
    settings = load_settings(
        {
            **PROD,
            "KMS_KEY_ID": KEY,
            "KMS_PREVIOUS_KEY_IDS": f" {OLD_KEY} ,",
            "SECRETS_PREVIOUS_KEY_FILES": f"{tmp_path / 'a.key'},{tmp_path / 'b.key'}",
            "SECRETS_KEY_FILE": str(tmp_path / "current.key"),
        }
    )

    assert settings.kms_previous_key_ids == (OLD_KEY,)
    assert settings.secrets_previous_key_files == (
        str(tmp_path / "a.key"),
        str(tmp_path / "b.key"),
    )
    users = build_services(settings).adapters.users
    assert isinstance(users, MongoUserRepository)
    previous = users._secrets._previous
    assert [type(w) for w in previous] == [KmsKeyWrapper, LocalKeyWrapper, LocalKeyWrapper]
    assert all(not w._create for w in previous if isinstance(w, LocalKeyWrapper))


PROBE = """
import json, sys
from entrypoints.bootstrap import build_services
from entrypoints.settings import load_settings
env = {"APP_ENV": "prod", "EMAIL_FROM": "a@example.com",
       "JWT_SECRET": "q2Vx8Lr0aTz_kN4mPw7cYb1HdG9sJf3uE6iR5oXn-Q2vW8yA",
       "IDENTIFIER_HMAC_KEY": "h8Tq3Vw1Ls6Np0Xc4Bz7Rm2Kd9Fy5Gj_Ue-Ai3Ho8Wt1Qn6Ev",
       "MONGODB_URI": "mongodb://127.0.0.1:9", "KMS_KEY_ID": sys.argv[1]}
build_services(load_settings(env))
heavy = ("botocore", "boto3")
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules if m.startswith(heavy)})))
"""


def test_wiring_kms_imports_no_aws_sdk_until_a_secret_is_sealed_or_opened() -> None:
    result = subprocess.run(  # noqa: S603 - our interpreter, our script
        [sys.executable, "-c", PROBE, KEY], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
