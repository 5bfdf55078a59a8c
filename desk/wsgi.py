"""Entry point for gunicorn: ``gunicorn desk.wsgi:app``. Reads .env like the flask CLI."""

from dotenv import load_dotenv

from desk import create_app
from desk.ops import process

load_dotenv()
app = create_app()
process.settle()
