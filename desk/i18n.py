"""The desk's languages: Spanish by default (the message ids are Spanish), English
for agents who choose it. Catalogs live in desk/translations; `make` compiles them."""

from __future__ import annotations

from flask import Flask, request
from flask_babel import Babel, get_locale, refresh
from flask_login import current_user

LANGUAGES = ("es", "en")
babel = Babel()


def select_locale() -> str:
    if current_user and current_user.is_authenticated and current_user.language in LANGUAGES:
        return str(current_user.language)
    return request.accept_languages.best_match(LANGUAGES, default="es") if request else "es"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "es")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "America/Mexico_City")
    babel.init_app(app, locale_selector=select_locale)
    # Flask-Babel keeps the locale for the life of the app context; a context that
    # outlives one request (a test client's, a CLI's) must not keep the last person's.
    app.before_request(refresh)
    app.jinja_env.globals["get_locale"] = get_locale
