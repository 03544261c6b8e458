"""The `marketplace` console script: the Flask CLI of the app, with the project's commands."""

from flask.cli import FlaskGroup

from marketplace import create_app


def main() -> None:
    FlaskGroup(create_app=lambda: create_app(), help="Short-breaks marketplace and ISF billing.")(
        prog_name="marketplace"
    )
