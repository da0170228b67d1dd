"""config.yaml validation: every problem is one line naming the key."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ioc_app.config import load_settings
from ioc_app.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_repo_config_is_valid_and_serves_vinh_long():
    settings = load_settings(REPO / "config.yaml")
    assert settings.province_code == "86"
    assert settings.data_dir == REPO / "data"
    assert settings.database_url == f"sqlite:///{REPO / 'data' / 'ioc.db'}"
    assert settings.lake.catalog == f"sqlite:{REPO / 'data' / 'lake' / 'catalog.sqlite'}"


def test_switching_province_is_one_line(tmp_path):
    settings = load_settings(write(tmp_path, "province: Cao Bằng\n"))
    assert settings.province_code == "04"
    assert settings.demo_dir == tmp_path / "data" / "demo" / "04"


@pytest.mark.parametrize(("text", "fragment"), [
    ("provnce: Vĩnh Long\n", "provnce: unknown key"),
    ("server:\n  port: many\n", "server.port"),
    ("server:\n  workers: 0\n", "server.workers"),
    ("lake:\n  catalog: mysql:x\n", "lake.catalog"),
    ("demo:\n  end_date: yesterday\n", "demo.end_date"),
    ("province: Atlantis\n", "Atlantis"),
    ("geo:\n  boundaries: nowhere.geojson\n", "geo.boundaries: file not found"),
    ("server: [1, 2\n", "not valid YAML"),
    ("- just\n- a list\n", "top level must be a mapping"),
    ("sources:\n  - {name: feed, kind: tickets}\n", "sources.0: Value error, needs exactly one of inbox"),
    ("sources:\n  - {name: feed, kind: cameras, open311: 'http://x'}\n", "open311 feeds tickets only"),
])
def test_bad_config_is_one_line_naming_the_key(tmp_path, text, fragment):
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text))
    message = str(caught.value)
    assert fragment in message
    assert "\n" not in message


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "absent.yaml")


def test_environment_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("IOC_PROVINCE", "04")
    monkeypatch.setenv("IOC_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/ioc")
    settings = load_settings(write(tmp_path, "province: Vĩnh Long\n"))
    assert settings.province_code == "04"
    assert settings.database_url == "postgresql+psycopg://postgres@127.0.0.1/ioc"


def test_cli_reports_config_error_in_one_line_without_traceback(tmp_path):
    config = write(tmp_path, "colour: blue\n")
    result = subprocess.run([sys.executable, "-m", "ioc_app.cli", "--config", str(config), "check"],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"error: {config}: colour: unknown key (check its spelling against config.yaml)"]
    assert "Traceback" not in result.stderr
