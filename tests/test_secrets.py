"""The NCBI API key never appears in output, logs, tracebacks, error pages or run records."""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner
from werkzeug import Request, Response

from kratomlit.cli import app
from kratomlit.sources import eutils

SECRET = "k3y-5ecret-0123456789abcdef"

DEBUG_RUN = """
import logging, sys
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
from kratomlit.cli import main
sys.argv = ["kratomlit", *sys.argv[1:]]
main()
"""


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", DEBUG_RUN, *args], env=env, capture_output=True,
                          text=True, timeout=120)


def _everything(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return "\n".join(conn.iterdump())


def test_key_absent_from_debug_logs_tracebacks_and_runs_when_unreachable(tmp_path: Path
                                                                        ) -> None:
    db = tmp_path / "k.db"
    env = {**os.environ, "KRATOMLIT_DB": str(db), "NCBI_API_KEY": SECRET,
           "KRATOMLIT_EUTILS_URL": "http://127.0.0.1:9/entrez/eutils/", "KRATOMLIT_TRACEBACK": "1"}
    result = _run(["fetch", "--query", "kratom"], env)
    assert result.returncode != 0
    assert "127.0.0.1" in result.stderr  # the failure itself is reported
    assert SECRET not in result.stdout + result.stderr
    assert SECRET not in _everything(db)
    status = _run(["status", "--format", "json"], env)
    assert SECRET not in status.stdout + status.stderr


def test_key_echoed_by_an_error_page_is_scrubbed(
        tmp_path: Path, httpserver: HTTPServer, runner: CliRunner, isolated_env: Path,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    for name, value in (("INTERVAL_NO_KEY", 0.0), ("INTERVAL_WITH_KEY", 0.0), ("BACKOFF", 0.01),
                        ("HTTP_RETRIES", 2), ("CONNECT_RETRIES", 1), ("PAYLOAD_RETRIES", 1)):
        monkeypatch.setattr(eutils, name, value)

    def echo(request: Request) -> Response:  # a proxy or gateway that echoes the URL back
        return Response(f"<html><body>Bad gateway for {request.url}</body></html>", status=502)

    httpserver.expect_request(re.compile(".*")).respond_with_handler(echo)
    monkeypatch.setenv("KRATOMLIT_EUTILS_URL", httpserver.url_for("/entrez/eutils/"))
    caplog.set_level(logging.DEBUG)
    result = runner.invoke(app, ["fetch", "--query", "kratom", "--api-key", SECRET])
    assert result.exit_code != 0 and result.stderr.splitlines()[-1].startswith("Error: ")
    assert any(SECRET in entry[0].url for entry in httpserver.log)  # it was sent to NCBI...
    assert SECRET not in result.output  # ...and never shown, logged or stored
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("werkzeug")]
    assert any("urllib3" in r.name for r in caplog.records)  # the client did log its requests
    assert not [line for line in ours if SECRET in line]  # (the fake server's own log may)
    assert SECRET not in _everything(isolated_env)
