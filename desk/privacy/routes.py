from flask import render_template

from desk.privacy import bp


@bp.get("/privacidad")
def notice() -> str:
    """The privacy notice, in Spanish and English."""
    return render_template("privacy/notice.html")
