"""audit event indexes for the console

``(event, id)`` lets the journal filtered by event page by keyset on the id, and ``(event,
created_at)`` lets the dashboard count today's events of a kind from the index; both lead with
``event``, so the single-column index on it goes. Indexes only: the previous release keeps
running beside them (and its queries use the new indexes the same way).

Revision ID: 3b8e5f1a2c64
Revises: 7c2d4e6f8a10
Create Date: 2026-12-02 00:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '3b8e5f1a2c64'
down_revision = '7c2d4e6f8a10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_event_id', ['event', 'id'], unique=False)
        batch_op.create_index(
            'ix_audit_events_event_created_at', ['event', 'created_at'], unique=False
        )
        batch_op.drop_index('ix_audit_events_event')


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_event', ['event'], unique=False)
        batch_op.drop_index('ix_audit_events_event_created_at')
        batch_op.drop_index('ix_audit_events_event_id')
