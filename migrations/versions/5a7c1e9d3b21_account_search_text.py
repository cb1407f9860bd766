"""account search text

Adds ``accounts.search_text`` (folded names, email, phone, member number) so the admin console
searches accounts without regard to accents or case on SQLite and PostgreSQL alike, and an
index on ``accounts.created_at`` for the console's newest-first pages.

Only a nullable column and an index: the previous release keeps running beside it (the rows
it writes meanwhile are found once next updated). Existing rows are filled here.

Revision ID: 5a7c1e9d3b21
Revises: ef0060213852
Create Date: 2026-12-01 20:00:00

"""

import sqlalchemy as sa
from alembic import op

from idp_extension.models.search_text import account_search_text

# revision identifiers, used by Alembic.
revision = "5a7c1e9d3b21"
down_revision = "ef0060213852"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade():
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.String(length=700), nullable=True))
        batch_op.create_index(batch_op.f("ix_accounts_created_at"), ["created_at"], unique=False)

    accounts = sa.table(
        "accounts",
        sa.column("id", sa.Integer),
        sa.column("first_name", sa.String),
        sa.column("last_name", sa.String),
        sa.column("email", sa.String),
        sa.column("phone", sa.String),
        sa.column("member_number", sa.String),
        sa.column("search_text", sa.String),
    )
    connection = op.get_bind()
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(
                accounts.c.id,
                accounts.c.first_name,
                accounts.c.last_name,
                accounts.c.email,
                accounts.c.phone,
                accounts.c.member_number,
            )
            .where(accounts.c.id > last_id)
            .order_by(accounts.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            accounts.update()
            .where(accounts.c.id == sa.bindparam("row_id"))
            .values(search_text=sa.bindparam("text")),
            [
                {
                    "row_id": row.id,
                    "text": account_search_text(
                        first_name=row.first_name,
                        last_name=row.last_name,
                        email=row.email,
                        phone=row.phone,
                        member_number=row.member_number,
                    ),
                }
                for row in rows
            ],
        )
        last_id = rows[-1].id


def downgrade():
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_created_at"))
        batch_op.drop_column("search_text")
