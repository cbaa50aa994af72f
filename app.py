"""Neon Foresight: build the Dash app and expose ``server`` for gunicorn (``app:server``)."""
from __future__ import annotations

import logging
from pathlib import Path

import dash
from dash import Dash
from flask import send_from_directory

import flask_bootstrap
from components.layout import create_shell
from components.theme import register_template
from core.alerts import init_alerts
from core.api import init_api
from core.auth.embeds import init_embeds
from core.auth.guard import init_access
from core.cache import init_cache
from core.health import OPERATION_STEPS, init_health, register_maintenance_beat
from core.jobs import create_background_manager
from core.push import init_push
from core.runtime import SETTINGS_KEY
from core.secret_key import resolve_secret_key
from core.security import init_security
from core.settings import Settings, settings_or_exit
from core.uploads import init_uploads

_BOOTSTRAP_DIR = Path(flask_bootstrap.__file__).parent / "static" / "bootstrap5" / "css"
_VENDOR_URL = "/vendor/bootstrap"


def create_app(settings: Settings | None = None) -> Dash:
    """Create the app: settings, cache, background jobs (and the uploads' sweep), security headers and the shell."""
    settings = settings or settings_or_exit()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings.warn_about_defaults()
    manager, celery = create_background_manager(settings)
    init_uploads(settings, celery)
    app = Dash(
        __name__,
        use_pages=True,
        title="Neon Foresight",
        update_title=None,
        serve_locally=True,
        compress=True,
        external_stylesheets=[f"{_VENDOR_URL}/bootstrap.min.css", f"{_VENDOR_URL}/font/bootstrap-icons.min.css"],
        background_callback_manager=manager,
        suppress_callback_exceptions=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.celery_app = celery
    server = app.server
    server.config.update(SECRET_KEY=resolve_secret_key(settings).value, **{SETTINGS_KEY: settings})
    server.add_url_rule(f"{_VENDOR_URL}/<path:filename>", "vendor_bootstrap",
                        lambda filename: send_from_directory(_BOOTSTRAP_DIR, filename))
    init_cache(server, settings)
    register_template()
    import pages._shell  # noqa: F401  (header callbacks shared by every page)

    app.layout = create_shell(dash.page_registry.values(), dash.page_container)
    app.index_string = app.index_string.replace("<html>", '<html lang="en" data-bs-theme="dark">')
    init_security(server, settings, app.csp_hashes)
    init_api(server, settings)
    init_access(server, settings)
    init_embeds(server, settings)
    init_push(server, settings)
    init_alerts(server, settings)  # evaluates the alert rules after each new dataset version (docs/alerts.md)
    # /healthz, /readyz, /metrics, request metrics, and the monitor: collect, incidents, runbooks, maintenance
    init_health(server, settings, OPERATION_STEPS)
    register_maintenance_beat(settings, celery)  # with Celery, the worker's beat runs the maintenance calendar
    return app


app = create_app()
server = app.server
celery_app = app.celery_app

if __name__ == "__main__":
    _settings = server.config[SETTINGS_KEY]
    app.run(host=_settings.host, port=_settings.port, debug=_settings.debug)
