"""Which trained model is live, and putting one there: the gate, publishing, rolling back,
and asking the Rasa servers what they have loaded.

The live model is the newest ``ModelPublication``'s. Publishing and rolling back only add
a row: every Rasa server pulls the live archive from the desk's model server
(``model_views.live``) within its ``wait_time_between_pulls``, so no server restarts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tarfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from desk.db import utcnow
from desk.models import Agent, AssistantModel, ModelPublication
from desk.services import audit
from desk.training import gate

log = logging.getLogger(__name__)

PUBLISH = "publish"
ROLLBACK = "rollback"
# The Rasa desk channel's unauthenticated health route, which names the loaded model.
RASA_HEALTH_PATH = "/webhooks/desk/"


def N_(text: str) -> str:
    """Marks a msgid for extraction; the view translates it when it shows it."""
    return text


GATE_FAILED = N_("Este modelo no pasó la compuerta: %(reasons)s")
ALREADY_LIVE = N_("Este modelo ya está en vivo.")
ARCHIVE_MISSING = N_("El archivo del modelo no está en la carpeta de modelos.")
NOTHING_TO_ROLL_BACK_TO = N_("No hay un modelo anterior al que volver.")


class Refused(Exception):
    """Publishing or rolling back cannot be done; ``reason`` is a msgid with ``params``
    (a list is the gate's reasons, each to be translated, then joined)."""

    def __init__(self, reason: str, **params: Any) -> None:
        self.reason = reason
        self.params = params
        joined = {k: " ".join(v) if isinstance(v, list) else v for k, v in params.items()}
        super().__init__(reason % joined if params else reason)


def models_folder() -> Path:
    """``<instance>/models``: where the training runner leaves the archives."""
    return Path(current_app.instance_path) / "models"


def archive(model: AssistantModel) -> Path:
    return models_folder() / model.filename


def served(session: Session) -> tuple[Path, str] | None:
    """What the model server hands Rasa: the live model's archive and SHA-256, or, while
    nothing was ever published, the model the assistant shipped with.

    A Rasa server with a ``models:`` endpoint loads only what the server gives it and
    ignores its ``--model``: with nothing to give, it would start with no model at all
    and every citizen would wait for a person."""
    model = live_model(session)
    if model is not None:
        path = archive(model)
        return (path, model.sha256) if path.is_file() else None
    shipped = fallback_archive()
    if shipped is None:
        return None
    return shipped, _sha256_of(shipped)


def fallback_archive() -> Path | None:
    """The model the assistant shipped with (MODEL_FALLBACK_PATH), if it is there."""
    shipped = Path(current_app.config["MODEL_FALLBACK_PATH"])
    return shipped if shipped.is_file() else None


def shipped_model(session: Session) -> AssistantModel | None:
    """The shipped model as the desk recorded it (``register_shipped``), if it did."""
    shipped = fallback_archive()
    if shipped is None:
        return None
    return session.scalar(sa.select(AssistantModel).filter_by(sha256=_sha256_of(shipped)))


def register_shipped(
    session: Session,
    *,
    intent_f1: float | None = None,
    procedure_f1: float | None = None,
    per_intent: dict[str, Any] | None = None,
) -> AssistantModel | None:
    """Record the shipped model (a copy in the models folder, as a trained one would be)
    with its held-out figures when they are known; fills in figures it lacked."""
    model = shipped_model(session)
    if model is None:
        shipped = fallback_archive()
        if shipped is None:
            return None
        sha256 = _sha256_of(shipped)
        target = models_folder() / f"{sha256[:12]}.tar.gz"
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".partial")
            shutil.copyfile(shipped, partial)
            os.replace(partial, target)  # never half a model under the name Rasa pulls
        model = AssistantModel(
            filename=target.name,
            sha256=sha256,
            size=target.stat().st_size,
            rasa_model_id=rasa_model_id(target),
            per_intent={},
        )
        session.add(model)
    if intent_f1 is not None:
        model.intent_f1 = intent_f1
        model.procedure_f1 = procedure_f1
        model.per_intent = per_intent or {}
    session.flush()
    return model


def rasa_model_id(archive: Path) -> str | None:
    """Rasa's model_id from the archive's metadata.json, when it has one."""
    try:
        with tarfile.open(archive, "r:gz") as bundle:
            member = bundle.extractfile("metadata.json")
            metadata = json.load(member) if member else {}
    except (OSError, KeyError, ValueError, tarfile.TarError):
        return None
    model_id = metadata.get("model_id") if isinstance(metadata, dict) else None
    return str(model_id)[:64] if model_id else None


def file_sha256(path: Path) -> str:
    """A model archive's SHA-256, read a block at a time (archives are hundreds of MB).
    Every hash of an archive is this one: the runner's, the register's, and the ETag."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_SHIPPED_SHA256: dict[tuple[str, int, int], str] = {}


def _sha256_of(path: Path) -> str:
    """Hashed once per version of the file (every replica asks every few seconds)."""
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _SHIPPED_SHA256:
        _SHIPPED_SHA256[key] = file_sha256(path)
    return _SHIPPED_SHA256[key]


def register(
    session: Session,
    path: Path,
    *,
    intent_f1: float | None,
    procedure_f1: float | None,
    per_intent: dict[str, Any] | None = None,
    stories_passed: bool | None = None,
    rasa_model_id: str | None = None,
) -> AssistantModel:
    """Record an archive already in the models folder with its held-out figures."""
    if path.resolve().parent != models_folder().resolve():
        raise ValueError(f"{path} is not in the models folder {models_folder()}")
    model = AssistantModel(
        filename=path.name,
        sha256=file_sha256(path),
        size=path.stat().st_size,
        intent_f1=intent_f1,
        procedure_f1=procedure_f1,
        per_intent=per_intent or {},
        stories_passed=stories_passed,
        rasa_model_id=rasa_model_id,
    )
    session.add(model)
    session.flush()
    return model


def live_model(session: Session) -> AssistantModel | None:
    """The model every Rasa server should have loaded: the newest publication's."""
    return session.scalar(
        sa.select(AssistantModel)
        .join(ModelPublication, ModelPublication.model_id == AssistantModel.id)
        .order_by(ModelPublication.id.desc())
        .limit(1)
    )


def running_model(session: Session) -> AssistantModel | None:
    """What the Rasa servers run: the live model, or before any publication the shipped
    one (once recorded): what a new model is compared with."""
    return live_model(session) or shipped_model(session)


def live_line(session: Session) -> list[int]:
    """The models that went live, oldest first, without those rolled back from: a
    rollback leaves the one before, and a second rollback the one before that."""
    line: list[int] = []
    for action, model_id in session.execute(
        sa.select(ModelPublication.action, ModelPublication.model_id).order_by(ModelPublication.id)
    ):
        if action == ROLLBACK and line:
            line.pop()
        if not line or line[-1] != model_id:
            line.append(model_id)
    return line


def apply_gate(session: Session, model: AssistantModel) -> gate.Decision:
    """Judge ``model`` against the live one (not against itself) and keep the verdict:
    before any publication, the shipped model, which is what the servers run."""
    live = running_model(session)
    decision = gate.decide(model, live if live is not None and live.id != model.id else None)
    model.gate_passed = decision.passed
    model.gate_reasons = decision.reasons
    return decision


def publish(session: Session, model: AssistantModel, agent: Agent | None) -> ModelPublication:
    """Put ``model`` live. The gate runs again against today's live model: another model
    may have been published since this one was tested."""
    live = live_model(session)
    if live is not None and live.id == model.id:
        raise Refused(ALREADY_LIVE)
    decision = apply_gate(session, model)
    if not decision.passed:
        session.commit()  # the verdict is kept, so the list shows why
        raise Refused(GATE_FAILED, reasons=decision.reasons)
    if not archive(model).is_file():
        raise Refused(ARCHIVE_MISSING)
    if live is None:
        # The first publication: the shipped model is recorded as what was live, so
        # "roll back" can return to it.
        live = register_shipped(session)
        if live is not None and live.id != model.id:
            session.add(ModelPublication(model_id=live.id, action=PUBLISH, agent_id=None))
    return _go_live(session, model, agent, PUBLISH, live)


def rollback(session: Session, agent: Agent | None) -> ModelPublication:
    """Put back the model that was live before the current one (no gate: it was live)."""
    line = live_line(session)
    if len(line) < 2:
        raise Refused(NOTHING_TO_ROLL_BACK_TO)
    previous = session.get(AssistantModel, line[-2])
    assert previous is not None  # publications reference their model
    if not archive(previous).is_file():
        raise Refused(ARCHIVE_MISSING)
    return _go_live(session, previous, agent, ROLLBACK, live_model(session))


def _go_live(
    session: Session,
    model: AssistantModel,
    agent: Agent | None,
    action: str,
    replaced: AssistantModel | None,
) -> ModelPublication:
    publication = ModelPublication(
        model_id=model.id, action=action, agent_id=agent.id if agent else None
    )
    session.add(publication)
    model.published_at = utcnow()
    model.published_by_id = agent.id if agent else None
    audit.record(
        session,
        f"model.{'published' if action == PUBLISH else 'rolled_back'}",
        actor="agent" if agent else "system",
        agent=agent,
        model_id=model.id,
        sha256=model.sha256,
        replaced_model_id=replaced.id if replaced else None,
    )
    session.commit()
    return publication


@dataclass(frozen=True)
class Replica:
    """One Rasa server as it answered: its position in RASA_URL (a URL may hold a
    password, so pages name servers by number), its state and Rasa's model id."""

    number: int
    state: str  # ok | loading | unreachable | http <status>
    model_id: str | None


def replicas(urls: Sequence[str], *, timeout: float = 2.0) -> list[Replica]:
    """Ask every Rasa server at once which model it has loaded (no token needed)."""
    if not urls:
        return []
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        return list(pool.map(lambda item: _ask(*item, timeout), enumerate(urls, 1)))


def _ask(number: int, url: str, timeout: float) -> Replica:
    try:
        response = requests.get(
            url.rstrip("/") + RASA_HEALTH_PATH, timeout=timeout, allow_redirects=False
        )
        body = response.json() if response.content else {}
    except (requests.RequestException, ValueError) as error:
        log.info("Rasa server %d did not say its model (%s)", number, type(error).__name__)
        return Replica(number, "unreachable", None)
    model_id = body.get("model_id") if isinstance(body, dict) else None
    if response.status_code == 503:
        return Replica(number, "loading", model_id)
    state = "ok" if response.status_code == 200 else f"http {response.status_code}"
    return Replica(number, state, model_id if isinstance(model_id, str) else None)
