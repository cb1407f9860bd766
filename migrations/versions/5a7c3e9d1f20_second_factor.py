"""second factor: SMS codes, authenticator apps, recovery codes; SMS in the outbox

Adds ``phone_codes``, ``totp_authenticators`` and ``recovery_codes``; ``accounts.second_factor``
(the member's chosen factor); ``sso_sessions.amr`` and ``second_factor_at`` (how a session was
authenticated, for acr/amr and step-up); ``outbox_messages.channel`` (mail or sms, default mail).

Only additions with defaults: the previous release keeps running beside it (its mail rows read
as channel "mail"; its sessions have no amr and count as password-only).

Revision ID: 5a7c3e9d1f20
Revises: 5f3a9c2e7b41
Create Date: 2026-12-01 20:10:00

"""
import sqlalchemy as sa
from alembic import op

from idp_extension.models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = '5a7c3e9d1f20'
down_revision = '5f3a9c2e7b41'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'phone_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.Enum('verify_phone', 'login', name='phone_code_purpose',
                                     native_enum=False, length=16), nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('used_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('voided_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name=op.f('fk_phone_codes_account_id_accounts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_codes')),
    )
    with op.batch_alter_table('phone_codes', schema=None) as batch_op:
        batch_op.create_index('ix_phone_codes_account_purpose', ['account_id', 'purpose'],
                              unique=False)

    op.create_table(
        'totp_authenticators',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('secret_sealed', sa.Text(), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('confirmed_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_used_step', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name=op.f('fk_totp_authenticators_account_id_accounts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_totp_authenticators')),
        sa.UniqueConstraint('account_id', name=op.f('uq_totp_authenticators_account_id')),
    )

    op.create_table(
        'recovery_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name=op.f('fk_recovery_codes_account_id_accounts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes')),
    )
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_account_id'), ['account_id'],
                              unique=False)

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('second_factor', sa.String(length=8), nullable=True))

    with op.batch_alter_table('sso_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('amr', sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column('second_factor_at', UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('channel', sa.String(length=8), server_default='mail', nullable=False)
        )


def downgrade():
    # Pending SMS go with the column: drop them first, or the previous release would mail them
    # to a phone number.
    op.execute("DELETE FROM outbox_messages WHERE channel = 'sms'")
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('channel')

    with op.batch_alter_table('sso_sessions', schema=None) as batch_op:
        batch_op.drop_column('second_factor_at')
        batch_op.drop_column('amr')

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('second_factor')

    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_codes_account_id'))
    op.drop_table('recovery_codes')
    op.drop_table('totp_authenticators')
    with op.batch_alter_table('phone_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_phone_codes_account_purpose')
    op.drop_table('phone_codes')
