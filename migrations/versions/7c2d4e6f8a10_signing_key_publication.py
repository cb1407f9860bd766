"""signing key publication

Adds ``signing_keys.activates_at`` (a rotated-in key is published before it signs) and
``signing_keys.withdrawn_at`` (an emergency rotation takes a compromised key out of the JWKS
at once). Both nullable: rows of the previous release sign from their creation, as before.

Revision ID: 7c2d4e6f8a10
Revises: 7d2e4b6a9c13
Create Date: 2026-12-01 21:25:00

"""
import sqlalchemy as sa
from alembic import op

from idp_extension.models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = '7c2d4e6f8a10'
down_revision = '7d2e4b6a9c13'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activates_at', UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_at', UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('activates_at')
