"""Settings from the environment: defaults, and one clear line for every bad value."""

from __future__ import annotations

import pytest

from eakte.config import Settings
from eakte.errors import ConfigError


def test_embedded_defaults_live_in_the_instance_folder(tmp_path):
    settings = Settings.from_env({"EAKTE_INSTANCE_PATH": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path}/eakte.db"
    assert settings.storage_url == f"file://{tmp_path}/objects"
    assert settings.search_url == f"file://{tmp_path}/search"
    assert settings.keyring_path == tmp_path / "keyring.json"


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"EAKTE_DATABASE_URL": "mysql://db/eakte"}, "EAKTE_DATABASE_URL"),
        ({"EAKTE_STORAGE_URL": "ftp://files"}, "EAKTE_STORAGE_URL"),
        ({"EAKTE_SEARCH_URL": "solr://x"}, "EAKTE_SEARCH_URL"),
        ({"EAKTE_SECRET_KEY": "short"}, "EAKTE_SECRET_KEY"),
        ({"EAKTE_TOKEN_TTL_DAYS": "ninety"}, "EAKTE_TOKEN_TTL_DAYS"),
        ({"EAKTE_TOKEN_TTL_DAYS": "0"}, "EAKTE_TOKEN_TTL_DAYS"),
        ({"EAKTE_TIMEZONE": "Mars/Olympus"}, "EAKTE_TIMEZONE"),
        ({"EAKTE_CERTIFICATE_LOGO": "/nirgends/wappen.png"}, "EAKTE_CERTIFICATE_LOGO"),
        ({"EAKTE_CERTIFICATE_LOGO": "/etc/hostname"}, "EAKTE_CERTIFICATE_LOGO"),
        ({"EAKTE_STORAGE_URL": "s3://127.0.0.1:9000/akten"}, "EAKTE_S3_ACCESS_KEY"),
        (
            {"EAKTE_STORAGE_URL": "s3://key:secret@127.0.0.1:9000/akten"},
            "EAKTE_STORAGE_URL",
        ),
    ],
)
def test_a_bad_value_names_its_variable(environ, variable):
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(environ)
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}: ")
    assert "\n" not in str(caught.value)


def test_a_database_password_is_not_repeated_in_the_error():
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"EAKTE_DATABASE_URL": "mysql://u:hunter2@db/eakte"})
    assert "hunter2" not in str(caught.value)


def test_s3_with_credentials_is_accepted():
    settings = Settings.from_env(
        {
            "EAKTE_STORAGE_URL": "s3://127.0.0.1:9000/akten?secure=false",
            "EAKTE_S3_ACCESS_KEY": "a",
            "EAKTE_S3_SECRET_KEY": "b",
        }
    )
    assert settings.s3_access_key == "a"
