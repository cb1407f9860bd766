"""server-side sso sessions

Adds ``sso_sessions``: one row per signed-in browser, keyed by the SHA-256 of the random id its
cookie carries, so that logout, an account's disabling and an absolute lifetime
(IDP_SESSION_MAX_AGE) end a session on the server.

Only a new table: the previous release keeps running beside it. Browsers signed in by the
previous release (cookies without a session id) must sign in again once this code serves them.

Revision ID: ef0060213852
Revises: dd4cad43b7c0
Create Date: 2026-12-01 05:16:58.688563

"""
import sqlalchemy as sa
from alembic import op

from idp_extension.models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = 'ef0060213852'
down_revision = 'dd4cad43b7c0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sso_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('ended_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('end_reason', sa.String(length=32), nullable=True),
        sa.Column('ip_address', sa.String(length=45), nullable=True),
        sa.Column('user_agent', sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name=op.f('fk_sso_sessions_account_id_accounts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_sessions')),
        sa.UniqueConstraint('digest', name=op.f('uq_sso_sessions_digest')),
    )
    with op.batch_alter_table('sso_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_sessions_account_id'), ['account_id'],
                              unique=False)


def downgrade():
    # The sessions go with the table: the previous release finds no account id in the cookies
    # written since the upgrade, so those browsers sign in again.
    with op.batch_alter_table('sso_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_sessions_account_id'))

    op.drop_table('sso_sessions')
