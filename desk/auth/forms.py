from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length, Regexp


class LoginForm(FlaskForm):
    email = EmailField(
        "Correo",
        filters=[lambda value: value.strip().lower() if value else value],
        validators=[
            DataRequired("Escribe tu correo."),
            Length(max=254),
            Regexp(r"^[^@\s]+@[^@\s]+$", message="Ese correo no es válido."),
        ],
    )
    password = PasswordField(
        "Contraseña", validators=[DataRequired("Escribe tu contraseña."), Length(max=200)]
    )
