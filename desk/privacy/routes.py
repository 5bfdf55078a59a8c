from flask import render_template

from desk.db import get_session
from desk.privacy import bp
from desk.services import settings


@bp.get("/privacidad")
def notice() -> str:
    """The privacy notice, in Spanish and English, with how long messages are kept."""
    return render_template(
        "privacy/notice.html", retention_days=settings.get(get_session(), "retention_days")
    )
