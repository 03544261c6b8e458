"""The short-breaks marketplace and ISF billing platform."""

from pathlib import Path

from flask import Flask
from flask_migrate import Migrate
from werkzeug.middleware.proxy_fix import ProxyFix

from marketplace.config import load_config
from marketplace.core.db import db

migrate = Migrate()
# The app is served from its checkout: migrations/ and templates/ (one folder per domain) sit
# beside marketplace/ and wsgi.py, as DESIGN.md's layout has them.
CHECKOUT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = str(CHECKOUT / "migrations")
TEMPLATES_DIR = str(CHECKOUT / "templates")


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, template_folder=TEMPLATES_DIR)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(load_config(app.instance_path, config))
    if app.config["TRUSTED_PROXIES"]:  # the client's address and scheme, as the proxies saw them
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    register_extensions(app)
    register_models()
    register_templates(app)
    register_blueprints(app)
    register_cli(app)
    return app


def register_extensions(app: Flask) -> None:
    from marketplace.accounts.login import register_loaders
    from marketplace.core.auth import login_manager, register_auth
    from marketplace.core.csrf import register_csrf
    from marketplace.core.db import is_managed_by_models
    from marketplace.core.errors import register_conflict, register_error_handlers
    from marketplace.core.ids import DatabaseIdConverter
    from marketplace.core.security import register_security
    from marketplace.ledger.errors import LedgerError

    app.url_map.converters["int"] = DatabaseIdConverter  # before any route is added
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=MIGRATIONS_DIR,
        compare_type=True,
        render_as_batch=True,
        include_object=is_managed_by_models,
    )
    register_security(app)
    register_auth(app)
    register_loaders(login_manager)
    register_csrf(app)
    register_error_handlers(app)
    register_conflict(app, LedgerError)  # core knows no domain: the ledger's refusals are 409s


def register_models() -> None:
    """Import every domain's models so the metadata (and Alembic) sees every table."""
    import marketplace.core.audit  # noqa: F401
    import marketplace.core.notifications  # noqa: F401
    from marketplace.domains import domain_modules

    list(domain_modules("models"))


def register_templates(app: Flask) -> None:
    from marketplace.core.templating import register_filters

    register_filters(app)


def register_blueprints(app: Flask) -> None:
    from marketplace.core.api import build_api
    from marketplace.core.views import bp as core_views
    from marketplace.domains import domain_modules

    app.register_blueprint(core_views)
    for views in domain_modules("views"):
        app.register_blueprint(views.bp)
        if hasattr(views, "register"):
            views.register(app)
    app.register_blueprint(build_api([api.bp for api in domain_modules("api")]))


def register_cli(app: Flask) -> None:
    from marketplace.core.demo import demo_command
    from marketplace.domains import domain_modules
    from marketplace.scheduler import scheduler_command

    app.cli.add_command(demo_command)
    app.cli.add_command(scheduler_command)
    for cli in domain_modules("cli"):
        for command in cli.commands:
            app.cli.add_command(command)
