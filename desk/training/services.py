"""A trainer's verdict on a waiting message: confirm it into the NLU data, or dismiss it.

Confirming scrubs the citizen's words first (desk.training.scrub): only the scrubbed
example is written, recorded and shown back. The procedure the trainer marks is found in
the citizen's words and moved onto the scrubbed text; a mark over personal data is
refused, since the placeholder is not what the citizen called the procedure.

A refusal the trainer can fix (the mark) raises ``NotWritten`` and records nothing; a
refusal of the words themselves (several lines, brackets…) is recorded with its reason,
because no trainer can change what the citizen wrote.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desk.models import Agent, Message, Review
from desk.models import review as r
from desk.services import audit
from desk.training import nlu_data, scrub

PROCEDURE = "procedure"


def N_(text: str) -> str:
    """Marks a msgid for extraction; the view translates it when it shows it."""
    return text


SPAN_OVER_PERSONAL_DATA = N_(
    "El trámite marcado toca datos personales que se reemplazan; marca solo el nombre del trámite."
)
ALREADY_THERE = N_("Ya estaba en %(path)s.")
# Every reason a review can be refused for, to show it in the reader's language.
REASONS = (*nlu_data.REASONS.values(), SPAN_OVER_PERSONAL_DATA, ALREADY_THERE)


class NotWritten(Exception):
    """The example cannot be written as marked; ``reason`` says what to change."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class AlreadyReviewed(Exception):
    """Someone reviewed this message first."""


def locate(text: str, procedure: str) -> tuple[int, int] | None:
    """Where the procedure, as the trainer typed it, is in the text (any case)."""
    wanted = procedure.strip()
    if not wanted:
        return None
    found = re.search(re.escape(wanted), text, re.IGNORECASE)
    return (found.start(), found.end()) if found else None


def predicted_procedure(message: Message) -> str | None:
    """The procedure NLU found, as the citizen wrote it, when the message has it in
    whole words and not over personal data: what the trainer's mark starts from."""
    if not message.procedure or not message.procedure.strip():
        return None
    pattern = r"(?<!\w)" + re.escape(message.procedure.strip()) + r"(?!\w)"
    found = re.search(pattern, message.body, re.IGNORECASE)
    if found is None:
        return None
    try:
        scrubbed_span(scrub.scrub(message.body), found.span())
    except NotWritten:
        return None
    return found.group()


def scrubbed_span(scrubbed: scrub.Scrubbed, span: tuple[int, int]) -> tuple[int, int]:
    """``span`` of the original text, moved onto the scrubbed text.

    Raises NotWritten when it touches a piece of personal data.
    """
    start, end = span
    shift = 0
    for finding in sorted(scrubbed.findings, key=lambda f: f.start):
        if finding.start < end and start < finding.end:
            raise NotWritten(SPAN_OVER_PERSONAL_DATA)
        if finding.end <= start:
            shift += len(finding.replacement) - len(finding.original)
    return start + shift, end + shift


def goes_to_test(message: Message) -> bool:
    """Whether confirming the message writes it to the test set rather than teaching it.

    Known before the trainer decides: the split hashes the scrubbed words only, so the
    trainer sees which messages will measure the assistant and which will teach it.
    """
    return nlu_data.held_out(nlu_data.Example(scrub.scrub(message.body).text, ""))


def example_of(message: Message, intent: str, span: tuple[int, int] | None) -> nlu_data.Example:
    """The scrubbed example a confirmation writes."""
    scrubbed = scrub.scrub(message.body)
    entities: tuple[nlu_data.Span, ...] = ()
    if span is not None:
        start, end = scrubbed_span(scrubbed, span)
        entities = (nlu_data.Span(start, end, PROCEDURE),)
    return nlu_data.Example(scrubbed.text, intent, entities)


def review(
    session: Session,
    message: Message,
    *,
    intent: str,
    span: tuple[int, int] | None,
    reviewer: Agent,
    root: Path,
) -> Review:
    """Confirm ``intent`` (and the procedure at ``span`` of the message's own words).

    Writes the scrubbed example under ``root`` and records where it went, or why not.
    """
    example = example_of(message, intent, span)
    record = Review(
        message_id=message.id,
        status=r.CONFIRMED,
        intent=intent,
        entities=[_span_json(s) for s in example.entities],
        text=example.text,
        reviewer_id=reviewer.id,
    )
    _claim(session, record)
    with _one_writer(root):
        result = nlu_data.write([example], root)
    if result.refused:
        refusal = result.refused[0]
        if refusal.code.startswith("span_"):
            session.rollback()
            raise NotWritten(refusal.reason)
        record.refused_reason = refusal.reason
    elif result.duplicates:
        record.refused_reason = ALREADY_THERE % {"path": result.duplicates[0].found_in}
    else:
        record.destination = r.TEST if result.placed[0].held_out else r.TRAINING
    audit.record(
        session,
        "training_example_confirmed",
        actor="agent",
        agent=reviewer,
        conversation=message.conversation,
        message_id=message.id,
        intent=intent,
        destination=record.destination,
        written=bool(result.placed),
    )
    session.commit()
    return record


def dismiss(session: Session, message: Message, *, reviewer: Agent) -> Review:
    """Take the message out of the inbox without writing anything."""
    record = Review(message_id=message.id, status=r.DISMISSED, reviewer_id=reviewer.id)
    _claim(session, record)
    audit.record(
        session,
        "training_message_dismissed",
        actor="agent",
        agent=reviewer,
        conversation=message.conversation,
        message_id=message.id,
    )
    session.commit()
    return record


def _claim(session: Session, record: Review) -> None:
    # The unique message_id makes the first reviewer win before any file is touched.
    session.add(record)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise AlreadyReviewed() from None


@contextmanager
def _one_writer(root: Path) -> Iterator[None]:
    """One write at a time across the desk's processes (nlu_data does not lock)."""
    folder = os.open(root / nlu_data.TRAINING_DIR, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        yield
    finally:
        os.close(folder)


def _span_json(span: nlu_data.Span) -> dict[str, object]:
    return {"start": span.start, "end": span.end, "entity": span.entity, "value": span.value}
