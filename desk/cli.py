"""``flask --app desk …`` commands for operators."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from flask import Flask, current_app

from desk.db import engine, get_session
from desk.models import Agent
from desk.security.demo_agent import DEMO_ACCOUNTS, DEMO_PASSWORD
from desk.services import audit

MIGRATIONS = Path(__file__).parent / "migrations"


def init_app(app: Flask) -> None:
    app.cli.add_command(worker_command)
    app.cli.add_command(db_upgrade_command)
    app.cli.add_command(create_agent_command)
    app.cli.add_command(deactivate_agent_command)
    app.cli.add_command(seed_demo_command)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade_database() -> None:
    """Bring the schema to the newest migration on the app's database."""
    with engine().begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@click.command("worker")
def worker_command() -> None:
    """Route inbound and send outbound messages until stopped."""
    from desk import worker

    worker.run(current_app._get_current_object())  # type: ignore[attr-defined]


@click.command("db-upgrade")
def db_upgrade_command() -> None:
    """Apply the Alembic migrations."""
    upgrade_database()
    click.echo("database is up to date")


@click.command("create-agent")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.password_option()
def create_agent_command(email: str, name: str, password: str) -> None:
    """Add an agent who can sign in to the desk."""
    if len(password) < 10:
        raise click.BadParameter("use at least 10 characters", param_hint="--password")
    email = email.strip().lower()
    session = get_session()
    if session.scalars(sa.select(Agent).filter_by(email=email)).first():
        raise click.ClickException(f"an agent with email {email} already exists")
    agent = Agent(email=email, name=name.strip())
    agent.set_password(password)
    session.add(agent)
    session.commit()
    click.echo(f"agent {email} created")


@click.command("deactivate-agent")
@click.option("--email", required=True)
def deactivate_agent_command(email: str) -> None:
    """Stop an agent from signing in; their open sessions end at once."""
    email = email.strip().lower()
    session = get_session()
    agent = session.scalars(sa.select(Agent).filter_by(email=email)).first()
    if agent is None:
        raise click.ClickException(f"there is no agent with email {email}")
    agent.deactivate()
    audit.record(session, "agent.deactivated", actor="system", agent=agent, reason="operator")
    session.commit()
    click.echo(f"agent {email} deactivated")


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Create the demo accounts of the embedded default, one per role (sandbox only)."""
    if not current_app.config["TWILIO_SANDBOX"]:
        raise click.ClickException("the demo accounts exist only with the sandbox transport")
    session = get_session()
    for email, (name, role) in DEMO_ACCOUNTS.items():
        agent = session.scalars(sa.select(Agent).filter_by(email=email)).first()
        if agent is None:
            agent = Agent(email=email, name=name, role=role)
            session.add(agent)
        # Back in the sandbox after a run with Twilio (which deactivated them): the
        # printed logins must work, with the documented password.
        agent.active = True
        agent.set_password(DEMO_PASSWORD)
        click.echo(f"demo {role}: {email} / {DEMO_PASSWORD}")
    session.commit()
