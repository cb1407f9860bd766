"""mail requests

Adds ``mail_requests``: "forgotten password" and "new activation link" record the address as
typed and answer at once, the same for every address; the mail worker acts on them. Without
this, the work (token, outbox row, SMTP) ran on the request's connection only for addresses
that had an account, and the next response on a kept-alive connection came late.

Only a new table: the previous release keeps running beside it.

Revision ID: 5f3a9c2e7b41
Revises: 5a7c1e9d3b21
Create Date: 2026-12-01 20:20:00

"""
import sqlalchemy as sa
from alembic import op

from idp_extension.models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = '5f3a9c2e7b41'
down_revision = '5a7c1e9d3b21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'mail_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('ip_address', sa.String(length=45), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_requests')),
    )


def downgrade():
    op.drop_table('mail_requests')
