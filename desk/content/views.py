"""The trainers' catalog editor: each procedure's sections with their sources, dates and
``uncertain`` flags, and an edit form per section, Spanish and English side by side.

Saving goes through desk/content/services.py (schema check, round-trip write, audit);
the action server picks the new file up by itself within a second.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from desk.content import services
from desk.content.forms import FREE_VALUES, CostForm, SectionForm
from desk.content.services import N_
from desk.db import get_session
from desk.permissions import TRAIN_ASSISTANT, add_nav, requires

bp = Blueprint("content", __name__, url_prefix="/content", template_folder="templates")
add_nav("content.index", N_("Catálogo"), TRAIN_ASSISTANT)

SECTION_LABELS = {
    "description": N_("Qué es"),
    "audience": N_("Para quién"),
    "requirements": N_("Requisitos"),
    "cost": N_("Costo"),
    "where": N_("Dónde y cómo"),
    "duration": N_("Tiempo"),
    "problems": N_("Problemas comunes"),
}
FREE_LABELS = {True: N_("Gratis"), False: N_("Tiene costo"), None: N_("Las fuentes no lo dicen")}


@bp.get("/")
@requires(TRAIN_ASSISTANT)
def index() -> Any:
    """Every procedure, in menu order, with its date and how many sections are uncertain."""
    return render_template("content/index.html", procedures=services.procedures(_root()))


@bp.get("/<slug>")
@requires(TRAIN_ASSISTANT)
def procedure(slug: str) -> Any:
    """A procedure's sections: sources, dates, flag, and both languages side by side."""
    return render_template(
        "content/procedure.html",
        procedure=_procedure(slug),
        labels=SECTION_LABELS,
        free_labels=FREE_LABELS,
    )


@bp.get("/<slug>/<name>")
@requires(TRAIN_ASSISTANT)
def edit(slug: str, name: str) -> Any:
    found, section = _editable(slug, name)
    form = _form(name, section, data=_initial(found, section))
    return _edit_page(found, section, form)


@bp.post("/<slug>/<name>")
@requires(TRAIN_ASSISTANT)
def save(slug: str, name: str) -> Any:
    """Write the section, or show the form again saying what stops it."""
    found, section = _editable(slug, name)
    form = _form(name, section)
    if not form.validate():
        return _edit_page(found, section, form), 400
    try:
        saved = services.save(
            get_session(),
            _root(),
            slug,
            name,
            _edit_of(form, section),
            editor=current_user._get_current_object(),
        )
    except services.Stale:
        # The trainer's text stays in the form; the page shows what is in the file now.
        form.version.data = found.version
        return _edit_page(
            found,
            section,
            form,
            error=_(
                "Alguien guardó esta sección mientras la editabas. "
                "Revisa el texto actual y guarda de nuevo."
            ),
        ), 409
    except services.Refused as refused:
        return _edit_page(found, section, form, error=_(refused.reason, **refused.params)), 400
    except services.Unconfirmed as unconfirmed:
        return _edit_page(found, section, form, unconfirmed=unconfirmed), 400
    if not saved.changed:
        flash(_("No había cambios que guardar."), "ok")
    elif saved.checked_on:
        flash(
            _(
                "Sección guardada; fecha de revisión movida a %(date)s. "
                "El asistente la usa en un segundo.",
                date=saved.checked_on,
            ),
            "ok",
        )
    else:
        flash(_("Sección guardada. El asistente la usa en un segundo."), "ok")
    return redirect(url_for("content.procedure", slug=slug, _anchor=name))


def _root() -> Path:
    return Path(current_app.config["TRAINING_DATA_ROOT"])


def _procedure(slug: str) -> services.Procedure:
    found = services.procedure(_root(), slug)
    if found is None:
        abort(404)
    return found


def _editable(slug: str, name: str) -> tuple[services.Procedure, services.Section]:
    found = _procedure(slug)
    section = found.section(name)
    if section is None or not section.editable:
        abort(404)
    return found, section


def _form(name: str, section: services.Section, **kwargs: Any) -> SectionForm:
    form = CostForm(**kwargs) if name == "cost" else SectionForm(**kwargs)
    form.remove_sources.choices = [(s.ref, s.ref) for s in section.sources or ()]
    return form


def _initial(found: services.Procedure, section: services.Section) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": found.version,
        "es": _textarea(section.es),
        "en": _textarea(section.en),
        "uncertain": bool(section.uncertain),
    }
    if section.name == "cost":
        free = section.details["free"]
        data["free"] = next(key for key, value in FREE_VALUES.items() if value is free)
        data["year"] = section.details["year"]
    return data


def _textarea(value: str | list[str]) -> str:
    return "\n".join(value) if isinstance(value, list) else value


def _edit_of(form: SectionForm, section: services.Section) -> services.Edit:
    read = services.text_lines if section.is_list else services.one_line
    source = None
    if form.source_ref.data and form.source_ref.data.strip():
        source = services.Source(
            ref=form.source_ref.data.strip(),
            reliability=form.source_reliability.data,
            url=(form.source_url.data or "").strip() or None,
        )
    extra: dict[str, Any] = {}
    if isinstance(form, CostForm):
        extra = {"free": FREE_VALUES[form.free.data], "year": form.year.data}
    return services.Edit(
        es=read(form.es.data or ""),
        en=read(form.en.data or ""),
        uncertain=bool(form.uncertain.data),
        version=form.version.data or "",
        source=source,
        removed=tuple(form.remove_sources.data or ()),
        figures_confirmed=bool(form.confirm_figures.data),
        **extra,
    )


def _edit_page(
    found: services.Procedure,
    section: services.Section,
    form: SectionForm,
    *,
    error: str | None = None,
    unconfirmed: services.Unconfirmed | None = None,
) -> str:
    return render_template(
        "content/edit.html",
        procedure=found,
        section=section,
        form=form,
        label=SECTION_LABELS[section.name],
        error=error,
        unconfirmed=unconfirmed,
    )
