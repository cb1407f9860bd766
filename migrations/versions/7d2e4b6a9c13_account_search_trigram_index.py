"""account search trigram index

On PostgreSQL, a pg_trgm GIN index on ``accounts.search_text`` so the console's "contains"
search reads only candidate rows (idp_extension/search_index.py). Nothing on SQLite, and
nothing but a warning where the extension cannot be created. An index only: the previous
release keeps running beside it.

Revision ID: 7d2e4b6a9c13
Revises: 5a7c3e9d1f20
Create Date: 2026-12-01 21:10:00

"""
from alembic import op

from idp_extension.search_index import create_trigram_index, drop_trigram_index

# revision identifiers, used by Alembic.
revision = '7d2e4b6a9c13'
down_revision = '5a7c3e9d1f20'
branch_labels = None
depends_on = None


def upgrade():
    create_trigram_index(op.get_bind())


def downgrade():
    drop_trigram_index(op.get_bind())
