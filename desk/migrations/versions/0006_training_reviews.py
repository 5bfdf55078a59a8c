"""training reviews: the model that answered each message, and trainers' reviews

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch_op:
        batch_op.add_column(sa.Column("model_id", sa.String(length=64), nullable=True))
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("intent", sa.String(length=80), nullable=True),
        sa.Column("entities", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=False),
        sa.Column("destination", sa.String(length=16), nullable=True),
        sa.Column("refused_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_reviews_message_id_messages"
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["agents.id"], name="fk_reviews_reviewer_id_agents"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reviews"),
        sa.UniqueConstraint("message_id", name="uq_reviews_message_id"),
    )


def downgrade() -> None:
    op.drop_table("reviews")
    with op.batch_alter_table("messages") as batch_op:
        batch_op.drop_column("model_id")
