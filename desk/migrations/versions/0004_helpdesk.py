"""helpdesk: roles and teams, the case lifecycle (new, open, pending, resolved, closed),
assignment, SLA due times, CSAT, internal notes, canned replies, WhatsApp templates,
settings, media copies

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ACTIVE = "status IN ('new', 'open', 'pending')"


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_teams"),
        sa.UniqueConstraint("name", name="uq_teams_name"),
    )
    with op.batch_alter_table("agents") as batch_op:
        batch_op.add_column(
            sa.Column("role", sa.String(length=16), nullable=False, server_default="agent")
        )
        batch_op.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), nullable=False, server_default="es")
        )
        batch_op.add_column(
            sa.Column("available", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("available_changed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_seen_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("max_active_cases", sa.Integer(), nullable=False, server_default="8")
        )
        batch_op.create_foreign_key("fk_agents_team_id_teams", "teams", ["team_id"], ["id"])
    # Accounts from before roles keep the run of the desk: someone must be able to
    # give the others their roles.
    op.execute("UPDATE agents SET role = 'admin'")

    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_index("uq_cases_open_per_conversation")
        batch_op.add_column(
            sa.Column("priority", sa.String(length=8), nullable=False, server_default="normal")
        )
        batch_op.add_column(sa.Column("tags", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("assigned_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("first_response_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("first_response_due_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("resolution_due_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("reopened_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("csat_asked_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("csat_score", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("csat_answered_at", sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(
            "fk_cases_assignee_id_agents", "agents", ["assignee_id"], ["id"]
        )
        batch_op.create_foreign_key("fk_cases_team_id_teams", "teams", ["team_id"], ["id"])
        batch_op.create_index("ix_cases_assignee_status", ["assignee_id", "status"])
        batch_op.create_index("ix_cases_conversation_opened", ["conversation_id", "opened_at"])
        batch_op.create_index(
            "ix_cases_status_first_response_due", ["status", "first_response_due_at"]
        )
    # Before the lifecycle an open case was one waiting for any agent: a new one.
    op.execute("UPDATE cases SET status = 'new' WHERE status = 'open'")
    op.execute("UPDATE cases SET tags = '[]' WHERE tags IS NULL")
    with op.batch_alter_table("cases") as batch_op:
        batch_op.alter_column("tags", existing_type=sa.JSON(), nullable=False)
    op.create_index(
        "uq_cases_active_per_conversation",
        "cases",
        ["conversation_id"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )

    with op.batch_alter_table("messages") as batch_op:
        batch_op.add_column(sa.Column("content_sid", sa.String(length=34), nullable=True))
        batch_op.add_column(sa.Column("content_variables", sa.JSON(), nullable=True))
        batch_op.create_index("ix_messages_created_at", ["created_at"])

    op.create_table(
        "case_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_notes_case_id_cases"),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name="fk_case_notes_agent_id_agents"),
        sa.PrimaryKeyConstraint("id", name="pk_case_notes"),
    )
    op.create_index("ix_case_notes_case_id", "case_notes", ["case_id"])
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shortcut", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body_es", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_canned_replies"),
        sa.UniqueConstraint("shortcut", name="uq_canned_replies_shortcut"),
    )
    op.create_table(
        "whatsapp_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("content_sid", sa.String(length=34), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.String(length=24), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_whatsapp_templates"),
        sa.UniqueConstraint("name", name="uq_whatsapp_templates_name"),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_settings"),
    )
    op.create_table(
        "sla_targets",
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("first_response_minutes", sa.Integer(), nullable=False),
        sa.Column("resolution_minutes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("priority", name="pk_sla_targets"),
    )
    op.create_table(
        "media_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(length=255), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_media_files_message_id_messages"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_media_files"),
        sa.UniqueConstraint("message_id", "position", name="uq_media_files_message_id"),
    )
    op.create_index("ix_media_files_message_id", "media_files", ["message_id"])


def downgrade() -> None:
    op.drop_table("media_files")
    op.drop_table("sla_targets")
    op.drop_table("settings")
    op.drop_table("whatsapp_templates")
    op.drop_table("canned_replies")
    op.drop_table("case_notes")
    with op.batch_alter_table("messages") as batch_op:
        batch_op.drop_index("ix_messages_created_at")
        batch_op.drop_column("content_variables")
        batch_op.drop_column("content_sid")
    op.drop_index("uq_cases_active_per_conversation", table_name="cases")
    op.execute("UPDATE cases SET status = 'open' WHERE status IN ('new', 'pending')")
    op.execute("UPDATE cases SET status = 'resolved' WHERE status = 'closed'")
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_index("ix_cases_status_first_response_due")
        batch_op.drop_index("ix_cases_conversation_opened")
        batch_op.drop_index("ix_cases_assignee_status")
        batch_op.drop_constraint("fk_cases_team_id_teams", type_="foreignkey")
        batch_op.drop_constraint("fk_cases_assignee_id_agents", type_="foreignkey")
        for column in (
            "csat_answered_at",
            "csat_score",
            "csat_asked_at",
            "reopened_count",
            "closed_at",
            "resolution_due_at",
            "first_response_due_at",
            "first_response_at",
            "assigned_at",
            "team_id",
            "assignee_id",
            "tags",
            "priority",
        ):
            batch_op.drop_column(column)
        batch_op.create_index(
            "uq_cases_open_per_conversation",
            ["conversation_id"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )
    with op.batch_alter_table("agents") as batch_op:
        batch_op.drop_constraint("fk_agents_team_id_teams", type_="foreignkey")
        for column in (
            "max_active_cases",
            "last_seen_at",
            "available_changed_at",
            "available",
            "language",
            "team_id",
            "role",
        ):
            batch_op.drop_column(column)
    op.drop_table("teams")
