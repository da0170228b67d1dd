"""gunicorn entry point: `gunicorn ioc_app.web.wsgi:app` (config from IOC_CONFIG)."""
from ioc_app.config import load_settings
from ioc_app.logging_setup import configure
from ioc_app.web.app import create_app

configure()
app = create_app(load_settings())
