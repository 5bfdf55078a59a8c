"""``flask --app desk cases seed-perf``: made-up cases and messages, many of them, fast.

For measuring the queue (tests/bench/queue_pages.py) and for trying the desk at the size of
a year of a busy center. Rows go in with COPY on PostgreSQL (executemany on SQLite),
a batch of conversations with their cases and messages per transaction. Everything it
makes is invented: names, numbers (+52 1 and 10 digits no one was given), texts.
"""

from __future__ import annotations

import random
import secrets
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import click
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from desk.cases import bp
from desk.db import UTCDateTime, engine, utcnow
from desk.models import case as c
from desk.services.settings import SLA_DEFAULTS

TEAMS = ("Pensiones", "Documentos de identidad", "Becas", "Quejas")
AGENTS_PER_TEAM = 10
BATCH_CASES = 5_000
SEEDED_TABLES = ("conversations", "cases", "messages")

# Share of the cases by status, priority and reason (the rest of each: the last one).
STATUS_SHARES = ((c.NEW, 0.05), (c.OPEN, 0.08), (c.PENDING, 0.05), (c.RESOLVED, 0.14))
PRIORITY_SHARES = ((c.URGENT, 0.05), (c.HIGH, 0.20), (c.LOW, 0.15))
REASON_SHARES = ((c.BOT_FALLBACK, 0.35), (c.COMPLAINT, 0.08), (c.FRUSTRATION, 0.07))

FIRST_NAMES = (
    "María", "José", "Guadalupe", "Juan", "Ana", "Luis", "Rosa", "Carlos", "Verónica",
    "Miguel", "Alejandra", "Jesús", "Patricia", "Francisco", "Leticia", "Jorge", "Sofía",
    "Ricardo", "Fernanda", "Arturo", "Martha", "Raúl", "Claudia", "Héctor", "Yolanda",
)  # fmt: skip
LAST_NAMES = (
    "Hernández", "García", "Martínez", "López", "González", "Pérez", "Rodríguez",
    "Sánchez", "Ramírez", "Cruz", "Flores", "Gómez", "Morales", "Vázquez", "Reyes",
    "Jiménez", "Torres", "Díaz", "Gutiérrez", "Ruiz", "Mendoza", "Aguilar", "Ortiz",
    "Castillo", "Romero", "Nava", "Salazar", "Zúñiga", "Bautista", "Medina",
)  # fmt: skip
PLACES = (
    "Iztapalapa", "Ecatepec", "Tlalnepantla", "Nezahualcóyotl", "Chimalhuacán", "Tlaquepaque",
    "Zapopan", "Guadalajara", "Monterrey", "Apodaca", "Puebla", "Tehuacán", "Oaxaca",
    "Juchitán", "Mérida", "Valladolid", "Tuxtla Gutiérrez", "Tapachula", "Xalapa",
    "Coatzacoalcos", "Veracruz", "Acapulco", "Chilpancingo", "Morelia", "Uruapan", "Toluca",
    "Texcoco", "Cuernavaca", "Pachuca", "Querétaro", "León", "Irapuato", "Celaya",
    "Aguascalientes", "Zacatecas", "Durango", "Torreón", "Saltillo", "Chihuahua",
    "Ciudad Juárez", "Hermosillo", "Culiacán", "Mazatlán", "Tepic", "Colima", "Campeche",
    "Chetumal", "Cancún", "Villahermosa", "Tijuana", "Mexicali", "La Paz", "Tlaxcala",
    "San Luis Potosí", "Tampico", "Reynosa", "Matamoros", "Nuevo Laredo", "Ensenada",
    "Ciudad Obregón",
)  # fmt: skip
AREA_CODES = ("55", "33", "81", "222", "998", "999", "442", "477", "614", "664", "961", "229")
MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
          "septiembre", "octubre", "noviembre", "diciembre")  # fmt: skip
TOPICS: dict[str, tuple[str, ...]] = {
    "pasaporte": (
        "¿cuánto cuesta el pasaporte por 6 años?",
        "necesito renovar mi pasaporte y no encuentro cita en la página",
        "perdí mi pasaporte, ¿qué tengo que hacer para sacar otro?",
        "¿qué documentos piden para el pasaporte de un menor de edad?",
    ),
    "curp": (
        "mi CURP sale con un error en el segundo apellido",
        "¿dónde imprimo mi CURP certificada?",
        "no me aparece la CURP cuando la busco en el sistema",
    ),
    "acta de nacimiento": (
        "necesito una copia certificada de mi acta de nacimiento",
        "mi acta de nacimiento tiene mal la fecha y me rechazaron el trámite",
        "¿cuánto cuesta el acta de nacimiento en línea?",
    ),
    "pensión bienestar": (
        "no me ha llegado el depósito de la pensión del bienestar",
        "¿cuándo pagan la pensión para adultos mayores este bimestre?",
        "quiero registrar a mi mamá en la pensión, ya cumplió 65 años",
    ),
    "beca benito juárez": (
        "¿cuándo depositan la beca Benito Juárez?",
        "mi hijo no aparece en el padrón de la beca",
        "me cambiaron la tarjeta de la beca y no funciona en el cajero",
    ),
    "llave mx": (
        "no puedo entrar a Llave MX, dice que la contraseña es incorrecta",
        "¿cómo recupero mi cuenta de Llave MX si ya no tengo ese correo?",
    ),
    "semanas cotizadas": (
        "quiero consultar mis semanas cotizadas en el IMSS",
        "mis semanas cotizadas no coinciden con las de mi último trabajo",
    ),
    "rfc": (
        "necesito mi constancia de situación fiscal para un empleo",
        "¿cómo saco el RFC por primera vez?",
    ),
    "licencia": (
        "¿qué necesito para renovar la licencia de conducir?",
        "se me venció la licencia hace un año, ¿pago multa?",
    ),
    "queja": (
        "llevo tres semanas esperando respuesta y nadie me atiende",
        "me trataron mal en la oficina y quiero poner una queja",
        "quiero reportar a un funcionario que me pidió dinero por el trámite",
    ),
}
GREETINGS = ("Hola", "Buenas tardes", "Buenos días", "Buenas noches", "Disculpe", "Oiga", "")
FOLLOW_UPS = (
    "gracias", "muchas gracias por la ayuda", "ok, lo reviso y le aviso",
    "sí, ahí le mando la foto", "¿y cuánto tiempo tarda?", "ya lo intenté y me sale error",
    "no entiendo, ¿me explica otra vez?", "¿tengo que ir a la oficina o se puede en línea?",
    "mi CURP es la misma de siempre",
)  # fmt: skip
BOT_REPLIES = (
    "Te comparto la información: el trámite se hace en línea en gob.mx y no tiene costo.",
    "Para ese trámite necesitas identificación oficial, comprobante de domicilio y CURP.",
    "¿Quieres que te comunique con una persona del Centro de Atención?",
    "No entendí tu pregunta, ¿me la puedes escribir de otra forma?",
    "Los depósitos se hacen cada bimestre; consulta la fecha en tu tarjeta del Bienestar.",
    "Puedes agendar tu cita en citas.sre.gob.mx; elige la oficina más cercana.",
)
AGENT_REPLIES = (
    "Con gusto le ayudo. ¿Me confirma su CURP, por favor?",
    "Ya revisé su caso; el depósito se refleja en 3 a 5 días hábiles.",
    "Disculpe la demora, ya turné su solicitud al área correspondiente.",
    "¿Me puede enviar una foto de su identificación por este medio?",
    "Le confirmo que su registro está activo; el siguiente pago es el día 15.",
    "Su cita quedó agendada; lleve original y copia de sus documentos.",
    "Gracias por esperar. La corrección del acta se hace en el registro civil de su estado.",
)
INTENTS = ("ask_requirements", "ask_cost", "ask_payment_date", "greet", "nlu_fallback")


@dataclass
class SeedReport:
    teams: int
    agents: int
    conversations: int
    cases: int
    messages: int
    seconds: float


class DatabaseHasData(click.ClickException):
    """The database already has conversations: seeding would mix made-up cases with real ones."""


def _pick(rng: random.Random, shares: Sequence[tuple[str, float]], rest: str) -> str:
    roll = rng.random()
    for value, share in shares:
        if roll < share:
            return value
        roll -= share
    return rest


def _existing_rows(connection: sa.Connection) -> int:
    return sum(
        connection.scalar(sa.text(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT 1) t")) or 0
        for table in ("conversations", "cases", "messages")
    )


class _Writer:
    """Bulk inserts: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"

    def reserve_ids(self, table: str, count: int) -> list[int]:
        """Ids for rows others will point to, taken from the table's own sequence."""
        if count == 0:
            return []
        if self.postgres:
            return list(
                self.connection.scalars(
                    sa.text(
                        f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
                        "FROM generate_series(1, :count)"
                    ),
                    {"count": count},
                )
            )
        start = (self.connection.scalar(sa.text(f"SELECT max(id) FROM {table}")) or 0) + 1
        return list(range(start, start + count))

    def drop_secondary_indexes(self) -> list[tuple[str, str]]:
        """Drop the non-unique indexes of the seeded tables; (name, definition) of each.
        Unique ones stay: they are constraints, and the ids and sids must hold them."""
        indexes = [
            (str(name), str(definition))
            for table in SEEDED_TABLES
            for name, definition in self.connection.execute(
                sa.text(
                    "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
                    " JOIN pg_class c ON c.oid = i.indexrelid"
                    " WHERE i.indrelid = CAST(:table AS regclass)"
                    " AND NOT i.indisunique AND NOT i.indisprimary"
                ),
                {"table": table},
            )
        ]
        for name, _definition in indexes:
            self.connection.exec_driver_sql(f'DROP INDEX "{name}"')
        return indexes

    def create_indexes(self, indexes: list[tuple[str, str]]) -> None:
        self.connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            self.connection.exec_driver_sql(definition)

    def write(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        count = 0
        if self.postgres:
            raw = self.connection.connection.driver_connection
            statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        batch = [tuple(_sqlite_value(value) for value in row) for row in rows]
        placeholders = ", ".join("?" for _ in columns)
        self.connection.exec_driver_sql(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", batch
        )
        return len(batch)


def _sqlite_value(value: Any) -> Any:
    # As SQLAlchemy stores them on SQLite: naive UTC text, booleans as 0/1.
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, bool):
        return int(value)
    return value


def _naive(moment: datetime) -> datetime:
    # The columns hold naive UTC; all the arithmetic below is done that way, once.
    return moment.astimezone(UTC).replace(tzinfo=None)


@dataclass
class _Case:
    opened_at: datetime
    status: str
    priority: str
    reason: str
    topic: str
    team: int | None
    assignee: int | None


def seed(
    connection: sa.Connection,
    *,
    cases: int,
    messages: int,
    seed_value: int = 2026,
    commit: bool = True,
    defer_indexes: bool = False,
    progress: Callable[[str], None] | None = None,
) -> SeedReport:
    """Add ``cases`` conversations with one case each and ``messages`` messages among
    them, plus 4 teams of 10 agents to own them. Commits each batch when ``commit``.

    ``defer_indexes`` (PostgreSQL, empty tables): drop the secondary indexes of the
    three tables first and build them again at the end, which is several times faster
    than keeping a full-text index up to date row by row.
    """
    started = time.monotonic()
    say = progress or (lambda _text: None)
    writer = _Writer(connection)
    now = _naive(utcnow())
    run = secrets.token_hex(4)  # keeps provider sids and e-mails unique across runs
    # Each run (with --force) talks to citizens from a number of its own, so the same
    # made-up citizen numbers never collide with an earlier run's conversations.
    earlier = connection.scalar(sa.text("SELECT count(*) FROM conversations")) or 0
    desk_number = f"+52{5500000000 + earlier}"
    rng = random.Random(f"{seed_value}:{earlier}")

    team_ids = _teams(connection)
    agents_by_team = _agents(connection, team_ids, run)
    all_agents = [agent for agents in agents_by_team.values() for agent in agents]
    specs = [_case_spec(rng, now, team_ids, agents_by_team, all_agents) for _ in range(cases)]
    # Ids grow with time, as they do when cases arrive one by one.
    specs.sort(key=lambda spec: spec.opened_at)
    per_conversation = _spread(rng, messages, cases)
    phones = rng.sample(range(len(AREA_CODES) * 10**8), cases)

    deferred = (
        writer.drop_secondary_indexes() if defer_indexes and commit and writer.postgres else []
    )
    if commit:
        connection.commit()
    message_count = 0
    try:
        for start in range(0, cases, BATCH_CASES):
            batch = specs[start : start + BATCH_CASES]
            message_count += _write_batch(
                writer,
                rng,
                batch,
                start,
                now=now,
                run=run,
                desk_number=desk_number,
                phones=phones,
                counts=per_conversation,
            )
            if commit:
                connection.commit()
            say(f"  {start + len(batch):,} cases, {message_count:,} messages")
    except BaseException:
        if commit:
            connection.rollback()
        raise
    finally:
        if deferred:
            say(f"  building {len(deferred)} indexes again…")
            writer.create_indexes(deferred)
            if commit:
                connection.commit()
    if writer.postgres:
        # Fresh statistics, or the planner guesses the queue's plans from empty tables.
        for table in ("conversations", "cases", "messages", "agents", "teams"):
            connection.exec_driver_sql(f"ANALYZE {table}")
        if commit:
            connection.commit()
    return SeedReport(
        teams=len(team_ids),
        agents=len(all_agents),
        conversations=cases,
        cases=cases,
        messages=message_count,
        seconds=time.monotonic() - started,
    )


def _write_batch(
    writer: _Writer,
    rng: random.Random,
    batch: list[_Case],
    start: int,
    *,
    now: datetime,
    run: str,
    desk_number: str,
    phones: list[int],
    counts: list[int],
) -> int:
    """One batch of conversations, their cases and their messages; how many messages."""
    conversation_ids = writer.reserve_ids("conversations", len(batch))
    case_ids = writer.reserve_ids("cases", len(batch))
    conversations, case_rows, message_rows = [], [], []
    for offset, spec in enumerate(batch):
        index = start + offset
        conversation_id, case_id = conversation_ids[offset], case_ids[offset]
        phone = _phone(phones[index])
        whatsapp = rng.random() < 0.7
        name = (
            f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            if whatsapp and rng.random() < 0.9
            else None
        )
        case_row, ends_at, first_answer = _case_row(rng, spec, now)
        created = spec.opened_at - timedelta(minutes=rng.randint(2, 30))
        texts = list(
            _messages(
                rng,
                spec,
                counts[index],
                created=created,
                ends_at=ends_at,
                first_answer=first_answer,
                conversation_id=conversation_id,
                case_id=case_id,
                sid=f"SM{run}{index:08x}",
            )
        )
        message_rows.extend(texts)
        last_inbound = max((row[-2] for row in texts if row[2] == "inbound"), default=created)
        conversations.append(
            (
                conversation_id,
                uuid.uuid4().hex,
                "whatsapp" if whatsapp else "sms",
                f"whatsapp:{phone}" if whatsapp else phone,
                f"whatsapp:{desk_number}" if whatsapp else desk_number,
                phone,
                name,
                "es",
                "human" if spec.status in c.ACTIVE else "bot",
                False,
                False,
                last_inbound,
                created,
            )
        )
        case_rows.append((case_id, conversation_id, *case_row))
    writer.write("conversations", CONVERSATION_COLUMNS, conversations)
    writer.write("cases", CASE_COLUMNS, case_rows)
    return writer.write("messages", MESSAGE_COLUMNS, message_rows)


CONVERSATION_COLUMNS = (
    "id", "key", "channel", "citizen_address", "desk_address", "phone", "profile_name",
    "language", "mode", "needs_bot_resume", "opted_out", "last_inbound_at", "created_at",
)  # fmt: skip
CASE_COLUMNS = (
    "id", "conversation_id", "status", "reason", "topic", "priority", "tags", "assignee_id",
    "team_id", "assigned_at", "opened_at", "first_response_at", "first_response_due_at",
    "resolution_due_at", "resolved_at", "resolved_by_id", "closed_at", "reopened_count",
    "csat_asked_at", "csat_score", "csat_answered_at",
)  # fmt: skip
MESSAGE_COLUMNS = (
    "conversation_id", "case_id", "direction", "author", "agent_id", "body", "media",
    "provider_sid", "status", "attempts", "next_attempt_at", "delivery_status", "intent",
    "confidence", "created_at", "updated_at",
)  # fmt: skip


def _teams(connection: sa.Connection) -> list[int]:
    ids = []
    for name in TEAMS:
        existing = connection.scalar(sa.text("SELECT id FROM teams WHERE name = :n"), {"n": name})
        if existing is None:
            existing = connection.scalar(
                sa.text(
                    "INSERT INTO teams (name, created_at) VALUES (:n, :at) RETURNING id"
                ).bindparams(sa.bindparam("at", type_=UTCDateTime())),
                {"n": name, "at": utcnow()},
            )
        ids.append(int(existing))
    return ids


def _agents(connection: sa.Connection, team_ids: list[int], run: str) -> dict[int, list[int]]:
    # Nobody knows the password: these accounts own cases, no one signs in as them.
    password = generate_password_hash(secrets.token_urlsafe(24))
    agents: dict[int, list[int]] = {}
    for team_number, team_id in enumerate(team_ids):
        agents[team_id] = [
            int(
                connection.scalar(
                    sa.text(
                        "INSERT INTO agents (email, name, password_hash, active, role, team_id,"
                        " language, available, max_active_cases, created_at) VALUES (:email,"
                        " :name, :password, :active, 'agent', :team, 'es', :off, 8, :at)"
                        " RETURNING id"
                    ).bindparams(sa.bindparam("at", type_=UTCDateTime())),
                    {
                        "email": f"perf-{run}-{team_number}-{number}@agentes.invalid",
                        "name": f"{FIRST_NAMES[number]} {LAST_NAMES[team_number]} (prueba)",
                        "password": password,
                        "active": True,
                        "team": team_id,
                        "off": False,
                        "at": utcnow(),
                    },
                )
            )
            for number in range(AGENTS_PER_TEAM)
        ]
    return agents


def _case_spec(
    rng: random.Random,
    now: datetime,
    team_ids: list[int],
    agents_by_team: dict[int, list[int]],
    all_agents: list[int],
) -> _Case:
    status = _pick(rng, STATUS_SHARES, c.CLOSED)
    # Active cases arrived in the last three days; the others over the past year.
    age = rng.uniform(0, 3 * 24 * 60) if status in c.ACTIVE else rng.uniform(3 * 24 * 60, 525_600)
    assignee: int | None = None
    team: int | None = rng.choice(team_ids) if rng.random() < 0.6 else None
    if status != c.NEW or rng.random() < 0.3:
        assignee = rng.choice(agents_by_team[team] if team else all_agents)
    if assignee is not None and team is None:
        team = next(t for t, agents in agents_by_team.items() if assignee in agents)
    return _Case(
        opened_at=now - timedelta(minutes=age),
        status=status,
        priority=_pick(rng, PRIORITY_SHARES, c.NORMAL),
        reason=_pick(rng, REASON_SHARES, c.CITIZEN_REQUEST),
        topic=rng.choice(tuple(TOPICS)),
        team=team,
        assignee=assignee,
    )


def _case_row(
    rng: random.Random, spec: _Case, now: datetime
) -> tuple[tuple[Any, ...], datetime, datetime | None]:
    """The case's columns after id and conversation, when its messages end, its first answer."""
    first_minutes, resolution_minutes = SLA_DEFAULTS[spec.priority]
    opened = spec.opened_at
    first_due = opened + timedelta(minutes=first_minutes)
    resolution_due = opened + timedelta(minutes=resolution_minutes)
    first_answer = None
    if spec.status != c.NEW:
        first_answer = min(now, opened + timedelta(minutes=rng.uniform(1, first_minutes * 1.5)))
    resolved = closed = csat_asked = csat_answered = None
    csat = None
    ends = now
    if spec.status in (c.RESOLVED, c.CLOSED):
        resolved = opened + timedelta(minutes=rng.uniform(first_minutes, resolution_minutes * 1.3))
        ends = resolved
        if rng.random() < 0.5:
            csat_asked = resolved
            if rng.random() < 0.4:
                csat = rng.choice((1, 2, 3, 4, 4, 5, 5, 5))
                csat_answered = resolved + timedelta(minutes=rng.randint(1, 600))
        if spec.status == c.CLOSED:
            closed = resolved + timedelta(days=7)
    assigned = opened + timedelta(minutes=rng.uniform(0, 5)) if spec.assignee else None

    row = (
        spec.status,
        spec.reason,
        spec.topic,
        spec.priority,
        "[]",
        spec.assignee,
        spec.team,
        assigned,
        opened,
        first_answer,
        first_due,
        resolution_due,
        resolved,
        spec.assignee if resolved else None,
        closed,
        0,
        csat_asked,
        csat,
        csat_answered,
    )
    return row, ends, first_answer


def _messages(
    rng: random.Random,
    spec: _Case,
    count: int,
    *,
    created: datetime,
    ends_at: datetime,
    first_answer: datetime | None,
    conversation_id: int,
    case_id: int,
    sid: str,
) -> Iterable[tuple[Any, ...]]:
    """The conversation: the citizen and the assistant, then the citizen and a person."""
    span = max(ends_at - created, timedelta(minutes=1))
    questions = TOPICS[spec.topic]
    for number in range(count):
        at = created + span * (number + 1) / (count + 1)
        with_person = at >= spec.opened_at
        inbound = number % 2 == 0 or (with_person and (first_answer is None or at < first_answer))
        if inbound:
            author, agent = "citizen", None
            body = _citizen_text(rng, questions, first=number < 2)
        elif with_person:
            author, agent, body = "agent", spec.assignee, rng.choice(AGENT_REPLIES)
            if agent is None:
                author, body = "bot", rng.choice(BOT_REPLIES)
        else:
            author, agent, body = "bot", None, rng.choice(BOT_REPLIES)
        yield (
            conversation_id,
            case_id if with_person else None,
            "inbound" if inbound else "outbound",
            author,
            agent,
            body,
            "[]",
            f"{sid}{number:06x}",
            "done",
            1,
            at,
            None if inbound else "delivered",
            rng.choice(INTENTS) if inbound and not with_person else None,
            round(rng.uniform(0.3, 0.99), 2) if inbound and not with_person else None,
            at,
            at,
        )


def _citizen_text(rng: random.Random, questions: Sequence[str], *, first: bool) -> str:
    if not first and rng.random() < 0.6:
        return rng.choice(FOLLOW_UPS)
    parts = [rng.choice(GREETINGS), rng.choice(questions)]
    roll = rng.random()
    if roll < 0.3:
        parts.append(f"vivo en {rng.choice(PLACES)}")
    elif roll < 0.45:
        parts.append(f"mi folio de trámite es {rng.randint(10**7, 10**8 - 1)}")
    elif roll < 0.6:
        parts.append(f"desde el {rng.randint(1, 28)} de {rng.choice(MONTHS)} estoy esperando")
    text = ", ".join(part for part in parts if part)
    return text[0].upper() + text[1:]


def _phone(number: int) -> str:
    area, rest = AREA_CODES[number // 10**8], number % 10**8
    digits = f"{area}{rest:08d}"[-10:]
    return f"+521{digits}"


def _spread(rng: random.Random, messages: int, conversations: int) -> list[int]:
    """How many messages each conversation gets: at least one each while they last,
    the rest at random (some talk a lot)."""
    counts = [0] * conversations
    if conversations == 0:
        return counts
    floor = min(messages // conversations, 2)
    for index in range(conversations):
        counts[index] = floor
    for index in rng.choices(range(conversations), k=messages - floor * conversations):
        counts[index] += 1
    return counts


@bp.cli.command("seed-perf")
@click.option("--cases", default=100_000, show_default=True, type=click.IntRange(1, 2_000_000))
@click.option(
    "--messages", default=1_000_000, show_default=True, type=click.IntRange(0, 50_000_000)
)
@click.option("--seed", "seed_value", default=2026, show_default=True, help="Random seed.")
@click.option("--force", is_flag=True, help="Add to a database that already has conversations.")
def seed_perf_command(cases: int, messages: int, seed_value: int, force: bool) -> None:
    """Fill the database with made-up conversations, cases and messages (benchmarks)."""
    with engine().connect() as connection:
        existing = _existing_rows(connection)
        connection.rollback()
        if existing and not force:
            raise DatabaseHasData(
                "the database already has conversations, cases or messages; seed-perf adds "
                "made-up ones for benchmarks. Use --force to add them anyway (never in "
                "production)."
            )
        click.echo(f"seeding {cases:,} cases and {messages:,} messages…")
        report = seed(
            connection,
            cases=cases,
            messages=messages,
            seed_value=seed_value,
            defer_indexes=not existing and connection.dialect.name == "postgresql",
            progress=click.echo,
        )
    click.echo(
        f"seeded {report.teams} teams, {report.agents} agents, {report.conversations:,} "
        f"conversations, {report.cases:,} cases and {report.messages:,} messages "
        f"in {report.seconds:.1f} s"
    )
