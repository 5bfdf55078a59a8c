"""training jobs and the assistant's models: retrain, gate, publish, roll back

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "training_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("stage", sa.String(length=120), nullable=True),
        sa.Column("epoch", sa.Integer(), nullable=True),
        sa.Column("epochs", sa.Integer(), nullable=True),
        sa.Column("log_tail", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("runner", sa.String(length=64), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["agents.id"], name="fk_training_jobs_requested_by_id_agents"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_training_jobs"),
    )
    op.create_index("ix_training_jobs_status", "training_jobs", ["status", "id"])
    op.create_table(
        "assistant_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("rasa_model_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("intent_f1", sa.Double(), nullable=True),
        sa.Column("procedure_f1", sa.Double(), nullable=True),
        sa.Column("per_intent", sa.JSON(), nullable=False),
        sa.Column("stories_passed", sa.Boolean(), nullable=True),
        sa.Column("gate_passed", sa.Boolean(), nullable=True),
        sa.Column("gate_reasons", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"], ["training_jobs.id"], name="fk_assistant_models_job_id_training_jobs"
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["agents.id"], name="fk_assistant_models_published_by_id_agents"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_assistant_models"),
        sa.UniqueConstraint("job_id", name="uq_assistant_models_job_id"),
        sa.UniqueConstraint("filename", name="uq_assistant_models_filename"),
        sa.UniqueConstraint("sha256", name="uq_assistant_models_sha256"),
    )
    op.create_table(
        "model_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["assistant_models.id"],
            name="fk_model_publications_model_id_assistant_models",
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name="fk_model_publications_agent_id_agents"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_model_publications"),
    )


def downgrade() -> None:
    op.drop_table("model_publications")
    op.drop_table("assistant_models")
    op.drop_index("ix_training_jobs_status", table_name="training_jobs")
    op.drop_table("training_jobs")
