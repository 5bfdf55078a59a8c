"""the procedure NLU found in each message; at most one training job waits and one runs

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ACTIVE = "status IN ('queued', 'running')"


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch_op:
        batch_op.add_column(sa.Column("procedure", sa.String(length=64), nullable=True))
    # Jobs queued twice by a race before this index: the oldest of each status stays.
    op.execute(
        "UPDATE training_jobs SET status = 'failed', "
        "error = 'Otro trabajo ya esperaba o corría.' "
        "WHERE status IN ('queued', 'running') AND id NOT IN ("
        "SELECT min_id FROM (SELECT MIN(id) AS min_id FROM training_jobs "
        "WHERE status IN ('queued', 'running') GROUP BY status) AS kept)"
    )
    op.create_index(
        "uq_training_jobs_active_status",
        "training_jobs",
        ["status"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )


def downgrade() -> None:
    op.drop_index("uq_training_jobs_active_status", table_name="training_jobs")
    with op.batch_alter_table("messages") as batch_op:
        batch_op.drop_column("procedure")
