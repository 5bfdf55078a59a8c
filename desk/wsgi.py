"""Entry point for gunicorn: ``gunicorn desk.wsgi:app``. Reads .env like the flask CLI."""

from dotenv import load_dotenv

from desk import create_app

load_dotenv()
app = create_app()
