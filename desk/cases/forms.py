from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from desk.services.outbound import MAX_BODY


class ReplyForm(FlaskForm):
    body = TextAreaField(
        "Respuesta",
        validators=[
            DataRequired("Escribe la respuesta."),
            Length(max=MAX_BODY, message=f"Máximo {MAX_BODY} caracteres (límite de Twilio)."),
        ],
    )


class ResolveForm(FlaskForm):
    """Only the CSRF token: resolving takes no input."""
