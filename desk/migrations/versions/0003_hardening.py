"""hardening: claims and sending attempts, early status callbacks, worker heartbeats,
opt-out by phone number, agent sessions ended server-side, login rate limits

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch_op:
        batch_op.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("sending_started_at", sa.DateTime(), nullable=True))
        # "partially_delivered", a status Twilio sends, has 19 characters.
        batch_op.alter_column(
            "delivery_status", type_=sa.String(length=24), existing_type=sa.String(length=16)
        )
    with op.batch_alter_table("conversations") as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_conversations_phone", ["phone"])
    op.execute("UPDATE conversations SET phone = replace(citizen_address, 'whatsapp:', '')")
    with op.batch_alter_table("agents") as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
    op.create_table(
        "pending_statuses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_sid", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("error_code", sa.String(length=16), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pending_statuses"),
    )
    op.create_index("ix_pending_statuses_provider_sid", "pending_statuses", ["provider_sid"])
    op.create_table(
        "worker_heartbeats",
        sa.Column("worker_id", sa.String(length=64), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("worker_id", name="pk_worker_heartbeats"),
    )
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_rate_limits"),
    )


def downgrade() -> None:
    op.drop_table("rate_limits")
    op.drop_table("worker_heartbeats")
    op.drop_index("ix_pending_statuses_provider_sid", table_name="pending_statuses")
    op.drop_table("pending_statuses")
    with op.batch_alter_table("agents") as batch_op:
        batch_op.drop_column("session_token")
    with op.batch_alter_table("conversations") as batch_op:
        batch_op.drop_index("ix_conversations_phone")
        batch_op.drop_column("phone")
    with op.batch_alter_table("messages") as batch_op:
        batch_op.alter_column(
            "delivery_status", type_=sa.String(length=16), existing_type=sa.String(length=24)
        )
        batch_op.drop_column("sending_started_at")
        batch_op.drop_column("claim_token")
