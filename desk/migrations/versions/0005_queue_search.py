"""queue and search: indexes for the agents' queue at 100,000 cases and 1,000,000 messages

PostgreSQL only. SQLite is the embedded default of one small office: its queue scans a
few thousand rows, and it cannot reflect expression indexes (so the migrations test
could not compare them with the models).

Each expression below is written exactly as desk.cases.search queries it: the planner
uses an expression index only when the query's expression is the same.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ACTIVE = "status IN ('new', 'open', 'pending')"
DONE = "status IN ('resolved', 'closed')"
# The case's next due time: its first answer while it has none (unless the resolution
# is due sooner), else its resolution. Overdue is exactly "this is in the past".
DUE = (
    "CASE WHEN (first_response_at IS NULL AND first_response_due_at IS NOT NULL"
    " AND (resolution_due_at IS NULL OR first_response_due_at < resolution_due_at))"
    " THEN first_response_due_at ELSE resolution_due_at END"
)

# What the queue's views, filters and counts read of an active case: carried in the index
# so they are answered from it alone (index-only scans; PostgreSQL needs an expression's
# columns there too before it reads the expression from an index).
QUEUE_COLUMNS = (
    "status, priority, assignee_id, team_id, conversation_id, opened_at, topic,"
    " first_response_at, first_response_due_at, resolution_due_at"
)

INDEXES = {
    # The queue's default order, and the overdue filter (a range of it), active cases only.
    "ix_cases_active_due": f"ON cases (({DUE}), id) INCLUDE ({QUEUE_COLUMNS}) WHERE {ACTIVE}",
    # Newest / oldest first, among the active cases and among the resolved and closed.
    "ix_cases_active_opened": f"ON cases (opened_at, id) WHERE {ACTIVE}",
    "ix_cases_done_opened": f"ON cases (opened_at, id) WHERE {DONE}",
    # A conversation's cases, whatever their status (search results, past cases).
    "ix_cases_conversation_id": "ON cases (conversation_id)",
    # The end of a phone number: its reverse starts with the digits typed, reversed.
    "ix_conversations_phone_reversed": "ON conversations (reverse(phone) text_pattern_ops)",
    # Words of the citizen's profile name, as typed (no stemming, prefixes match).
    "ix_conversations_name_fts": (
        "ON conversations USING gin (to_tsvector('simple', coalesce(profile_name, '')))"
    ),
    # Words in messages, Spanish stemming: "pasaportes" finds "pasaporte".
    "ix_messages_body_fts": "ON messages USING gin (to_tsvector('spanish', body))",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, definition in INDEXES.items():
        op.execute(f"CREATE INDEX {name} {definition}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in reversed(INDEXES):
        op.execute(f"DROP INDEX {name}")
