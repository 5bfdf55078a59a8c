from flask import Blueprint

from desk.extensions import csrf

bp = Blueprint("channels", __name__, url_prefix="/channels")
# Twilio cannot send a CSRF token; its requests are signed instead (see signature.py).
csrf.exempt(bp)

from desk.channels import routes  # noqa: E402,F401
