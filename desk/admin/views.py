"""Admins run the desk from the desk: accounts, teams, SLA targets, settings. Every
agent also has their own profile here (/admin/me): UI language and password."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import Form
from wtforms.fields.choices import SelectChoice

from desk.admin import bp, forms, services
from desk.admin.services import AdminError
from desk.db import get_session
from desk.labels import PRIORITIES
from desk.models import Agent, Team
from desk.models import case as c
from desk.permissions import MANAGE_DESK, add_nav, requires, signed_in
from desk.security import sessions
from desk.services import audit, settings


def N_(text: str) -> str:
    """Marks a msgid for extraction; the nav translates it when it draws the bar."""
    return text


add_nav("admin.index", N_("Administración"), MANAGE_DESK)

Page = str | tuple[str, int] | Response


@bp.get("/")
@requires(MANAGE_DESK)
def index() -> Response:
    return redirect(url_for("admin.users"))


# --- people ---------------------------------------------------------------------------


@bp.get("/users")
@requires(MANAGE_DESK)
def users() -> str:
    """Every account, active first."""
    people = get_session().scalars(
        sa.select(Agent).order_by(Agent.active.desc(), sa.func.lower(Agent.name), Agent.id)
    )
    return render_template("admin/users.html", people=list(people), action_form=forms.ActionForm())


@bp.route("/users/new", methods=["GET", "POST"])
@requires(MANAGE_DESK)
def new_user() -> Page:
    session = get_session()
    form = forms.NewAgentForm()
    form.team_id.choices = _team_choices()
    if form.validate_on_submit():
        try:
            agent = services.create_agent(
                session,
                current_user,
                email=form.email.data,
                password=form.password.data,
                details=_details(form),
            )
            session.commit()
        except AdminError as error:
            session.rollback()
            _field_error(form, error)
        except IntegrityError:
            # The same e-mail created in another tab a moment ago.
            session.rollback()
            form.email.errors.append(_("Ya existe una cuenta con ese correo."))
        else:
            flash(_("Cuenta de %(name)s creada.", name=agent.name), "ok")
            return redirect(url_for("admin.users"))
    return _form_page("admin/user_form.html", form, agent=None)


@bp.route("/users/<int:agent_id>", methods=["GET", "POST"])
@requires(MANAGE_DESK)
def edit_user(agent_id: int) -> Page:
    session = get_session()
    agent = _agent(agent_id)
    form = forms.EditAgentForm(obj=agent)
    form.team_id.choices = _team_choices()
    if form.validate_on_submit():
        try:
            changed = services.update_agent(session, current_user, agent, _details(form))
            if form.new_password.data:
                services.reset_password(session, current_user, agent, form.new_password.data)
                changed.append("password")
            session.commit()
        except AdminError as error:
            session.rollback()
            _field_error(form, error)
        else:
            if changed:
                flash(_("Cambios guardados para %(name)s.", name=agent.name), "ok")
            return redirect(url_for("admin.users"))
    return _form_page("admin/user_form.html", form, agent=agent)


@bp.post("/users/<int:agent_id>/deactivate")
@requires(MANAGE_DESK)
def deactivate_user(agent_id: int) -> Page:
    """The account stops working at once: its sessions end on their next request."""
    return _account_action(agent_id, services.deactivate_agent, _("%(name)s ya no puede entrar."))


@bp.post("/users/<int:agent_id>/reactivate")
@requires(MANAGE_DESK)
def reactivate_user(agent_id: int) -> Page:
    return _account_action(
        agent_id, services.reactivate_agent, _("%(name)s puede volver a entrar.")
    )


def _account_action(
    agent_id: int, change: Callable[[Session, Agent, Agent], None], done: str
) -> Page:
    session = get_session()
    agent = _agent(agent_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400, _("El formulario caducó; recarga la página."))
    try:
        change(session, current_user, agent)
        session.commit()
    except AdminError as error:
        session.rollback()
        flash(str(error), "error")
        return users(), 409
    flash(done % {"name": agent.name}, "ok")
    return redirect(url_for("admin.users"))


def _details(form: forms.NewAgentForm | forms.EditAgentForm) -> services.AgentDetails:
    return services.AgentDetails(
        name=form.name.data,
        role=form.role.data,
        team_id=form.team_id.data,
        language=form.language.data,
        max_active_cases=form.max_active_cases.data,
    )


def _team_choices() -> list[SelectChoice]:
    teams = get_session().scalars(sa.select(Team).order_by(sa.func.lower(Team.name)))
    return [SelectChoice("", _("Sin equipo")), *(SelectChoice(str(t.id), t.name) for t in teams)]


def _agent(agent_id: int) -> Agent:
    agent = get_session().get(Agent, agent_id)
    if agent is None:
        abort(404, _("Esa cuenta no existe."))
    return agent


# --- teams ----------------------------------------------------------------------------


@bp.route("/teams", methods=["GET", "POST"])
@requires(MANAGE_DESK)
def teams() -> Page:
    """The list, and the form that creates a team."""
    session = get_session()
    form = forms.TeamForm()
    if form.validate_on_submit():
        try:
            team = services.create_team(session, current_user, form.name.data)
            session.commit()
        except AdminError as error:
            session.rollback()
            _field_error(form, error)
        except IntegrityError:
            session.rollback()
            form.name.errors.append(_("Ya existe un equipo con ese nombre."))
        else:
            flash(_("Equipo %(name)s creado.", name=team.name), "ok")
            return redirect(url_for("admin.teams"))
    return _teams_page(form, status=400 if form.errors else 200)


@bp.post("/teams/<int:team_id>/rename")
@requires(MANAGE_DESK)
def rename_team(team_id: int) -> Page:
    session = get_session()
    team = _team(team_id)
    form = forms.TeamForm(prefix=f"team{team.id}")
    if form.validate_on_submit():
        try:
            services.rename_team(session, current_user, team, form.name.data)
            session.commit()
        except AdminError as error:
            session.rollback()
            _field_error(form, error)
        except IntegrityError:
            session.rollback()
            form.name.errors.append(_("Ya existe un equipo con ese nombre."))
        else:
            flash(_("Equipo renombrado: %(name)s.", name=team.name), "ok")
            return redirect(url_for("admin.teams"))
    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "error")
    return _teams_page(forms.TeamForm(formdata=None), status=400)


@bp.post("/teams/<int:team_id>/delete")
@requires(MANAGE_DESK)
def delete_team(team_id: int) -> Page:
    session = get_session()
    team = _team(team_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400, _("El formulario caducó; recarga la página."))
    name = team.name
    try:
        services.delete_team(session, current_user, team)
        session.commit()
    except AdminError as error:
        session.rollback()
        flash(str(error), "error")
        return _teams_page(forms.TeamForm(formdata=None), status=409)
    except IntegrityError:
        # An agent or a case joined the team while it was being deleted.
        session.rollback()
        flash(_("No se puede borrar: el equipo acaba de recibir agentes o casos."), "error")
        return _teams_page(forms.TeamForm(formdata=None), status=409)
    flash(_("Equipo %(name)s borrado.", name=name), "ok")
    return redirect(url_for("admin.teams"))


def _teams_page(form: forms.TeamForm, *, status: int) -> tuple[str, int]:
    session = get_session()
    members = dict(
        session.execute(
            sa.select(Agent.team_id, sa.func.count())
            .where(Agent.team_id.is_not(None))
            .group_by(Agent.team_id)
        ).all()
    )
    all_teams = list(session.scalars(sa.select(Team).order_by(sa.func.lower(Team.name))))
    rename_forms = {
        team.id: forms.TeamForm(formdata=None, prefix=f"team{team.id}", data={"name": team.name})
        for team in all_teams
    }
    page = render_template(
        "admin/teams.html",
        form=form,
        teams=all_teams,
        members=members,
        rename_forms=rename_forms,
        action_form=forms.ActionForm(),
    )
    return page, status


def _team(team_id: int) -> Team:
    team = get_session().get(Team, team_id)
    if team is None:
        abort(404, _("Ese equipo no existe."))
    return team


# --- SLA targets ----------------------------------------------------------------------


@bp.route("/sla", methods=["GET", "POST"])
@requires(MANAGE_DESK)
def sla() -> Page:
    """Minutes to the first answer and to the resolution, per priority."""
    session = get_session()
    form = forms.sla_form(services.sla_targets(session))
    if form.validate_on_submit():
        changed = []
        try:
            for priority in c.PRIORITIES:
                first = form[f"{priority}_first"]
                resolution = form[f"{priority}_resolution"]
                try:
                    if services.set_sla(
                        session, current_user, priority, first.data, resolution.data
                    ):
                        changed.append(priority)
                except AdminError as error:
                    target = resolution if error.field == "resolution" else first
                    target.errors = [*target.errors, str(error)]
            if form.errors:
                raise AdminError(_("Revisa los plazos marcados."))
            session.commit()
        except AdminError as error:
            session.rollback()
            flash(str(error), "error")
        else:
            if changed:
                flash(_("Plazos guardados. Se aplican a los casos que se abran desde ahora."), "ok")
            return redirect(url_for("admin.sla"))
    return _form_page("admin/sla.html", form, priorities=c.PRIORITIES, priority_names=PRIORITIES)


# --- settings -------------------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
@requires(MANAGE_DESK)
def desk_settings() -> Page:
    session = get_session()
    form = forms.settings_form(settings.all_values(session))
    if form.validate_on_submit():
        values = {key: _setting_value(form[key].data) for key in settings.DEFAULTS}
        try:
            changed = services.save_settings(session, current_user, values)
            session.commit()
        except AdminError as error:
            session.rollback()
            _field_error(form, error)
        else:
            if changed:
                flash(_("Ajustes guardados."), "ok")
            return redirect(url_for("admin.desk_settings"))
    business = [key for key in settings.DEFAULTS if key.startswith("business_")]
    general = [key for key in settings.DEFAULTS if key not in business]
    return _form_page("admin/settings.html", form, general=general, business=business)


def _setting_value(value: Any) -> Any:
    # Days are kept in order, so that saving the same days changes nothing.
    return sorted(set(value)) if isinstance(value, list) else value


# --- the signed-in agent's own profile ------------------------------------------------


@bp.get("/me")
@signed_in
def profile() -> str:
    return _profile_page()[0]


@bp.post("/me/language")
@signed_in
def profile_language() -> Page:
    session = get_session()
    form = forms.LanguageForm()
    if not form.validate_on_submit():
        return _profile_page(language_form=form)
    agent = current_user._get_current_object()
    if agent.language != form.language.data:
        audit.record(
            session,
            "agent.language_changed",
            actor="agent",
            agent=agent,
            old=agent.language,
            new=form.language.data,
        )
        agent.language = form.language.data
        session.commit()
        refresh()  # this request's locale was chosen before the change
    flash(_("Idioma guardado."), "ok")
    return redirect(url_for("admin.profile"))


@bp.post("/me/password")
@signed_in
def profile_password() -> Page:
    """A new password. The session token rotates: this browser goes on, a copy of its
    cookie taken before stops working."""
    session = get_session()
    form = forms.PasswordForm()
    agent = current_user._get_current_object()
    if not form.validate_on_submit():
        return _profile_page(password_form=form)
    if not agent.check_password(form.current_password.data):
        form.current_password.errors.append(_("Esa no es tu contraseña actual."))
        return _profile_page(password_form=form)
    try:
        services.check_password(form.new_password.data, field="new_password")
    except AdminError as error:
        _field_error(form, error)
        return _profile_page(password_form=form)
    agent.set_password(form.new_password.data)
    sessions.start(agent)
    audit.record(
        session, "agent.password_changed", actor="agent", agent=agent, address=request.remote_addr
    )
    session.commit()
    flash(_("Contraseña cambiada."), "ok")
    return redirect(url_for("admin.profile"))


def _profile_page(
    *,
    language_form: forms.LanguageForm | None = None,
    password_form: forms.PasswordForm | None = None,
) -> tuple[str, int]:
    failed = language_form is not None or password_form is not None
    page = render_template(
        "admin/profile.html",
        language_form=language_form
        or forms.LanguageForm(formdata=None, data={"language": current_user.language}),
        password_form=password_form or forms.PasswordForm(formdata=None),
    )
    return page, 400 if failed else 200


# --- shared ---------------------------------------------------------------------------


def _field_error(form: Form, error: AdminError) -> None:
    """The message next to its field, or at the top of the page."""
    if error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, str(error)]
    else:
        flash(str(error), "error")


def _form_page(template: str, form: Form, **context: Any) -> tuple[str, int]:
    status = 400 if request.method == "POST" else 200
    return render_template(template, form=form, **context), status
