"""What agents send: the composer (the WhatsApp window, SMS segments), canned replies
and WhatsApp templates."""

from flask import Blueprint

bp = Blueprint("replies", __name__, template_folder="templates")

from desk.replies import views  # noqa: E402,F401
from desk.replies.composer import composer_view  # noqa: E402

# replies/composer.html, included by the case page, works out what to show with it.
bp.add_app_template_global(composer_view)
