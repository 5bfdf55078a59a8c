"""What citizens attach (photos of documents): copied from Twilio, served by the desk."""

from flask import Blueprint

bp = Blueprint("media", __name__, url_prefix="/media")

from desk.media import views  # noqa: E402

# The transcript (cases/_media.html) asks for a message's attachments.
bp.record_once(lambda state: state.app.jinja_env.globals.update(media_of=views.media_of))
