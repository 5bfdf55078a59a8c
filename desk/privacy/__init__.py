"""Privacy: the public aviso de privacidad, citizens' requests (export and erasure of
what is stored about a number) and retention (``flask --app desk purge``)."""

from flask import Blueprint, Flask

from desk.permissions import PRIVACY_REQUESTS, add_nav

bp = Blueprint("privacy", __name__, template_folder="templates")


def init_app(app: Flask) -> None:
    """The operators' command: ``flask --app desk purge [--dry-run]``."""
    from desk.privacy.cli import purge_command

    app.cli.add_command(purge_command)


add_nav("privacy.lookup", "Privacidad", PRIVACY_REQUESTS)

from desk.privacy import requests, routes  # noqa: E402,F401
