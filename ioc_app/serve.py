"""Run the web app under gunicorn (gthread workers) in the foreground."""
from __future__ import annotations

import os
import sys

from ioc_app.config import Settings
from ioc_app.errors import ConfigError
from ioc_app.web.secret import shared_secret_problems


def gunicorn_argv(settings: Settings, port: int | None = None) -> list[str]:
    server = settings.server
    return [
        sys.executable, "-m", "gunicorn",
        "--worker-class", "gthread",
        "--workers", str(server.workers),
        "--threads", str(server.threads),
        "--bind", f"{server.host}:{port or server.port}",
        "--timeout", "120",
        "--graceful-timeout", "10",
        "--no-control-socket",
        # gunicorn's messages as JSON lines; requests are logged by the app (ioc_app/web/request_log.py).
        "--logger-class", "ioc_app.logging_setup.GunicornLogger",
        "ioc_app.web.wsgi:app",
    ]


def serve(settings: Settings, port: int | None = None) -> None:
    """Replace this process with gunicorn; workers read the same config through IOC_CONFIG."""
    problems = shared_secret_problems(settings)
    if problems:
        raise ConfigError(problems[0])
    os.environ.setdefault("IOC_CONFIG", str(settings.base_dir / "config.yaml"))
    print(f"serving on http://{settings.server.host}:{port or settings.server.port}", flush=True)
    argv = gunicorn_argv(settings, port)
    os.execv(argv[0], argv)
