"""`flask db upgrade` on an empty database gives exactly the models, and downgrade undoes it."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import column, insert, inspect, select, table, text

from idp_extension import create_app
from idp_extension.db import VERSION_TABLE, db
from idp_extension.schema import LEGACY_VERSION_TABLE as LEGACY
from idp_extension.schema import alembic_config
from idp_extension.search_index import TRIGRAM_INDEX, compared

from .conftest import both_databases


@both_databases
def test_upgrade_matches_models_and_downgrade_empties(database, tmp_path):
    app = create_app(
        {
            "IDP_DATABASE_URL": database,
            "IDP_SECRET_KEY": "k" * 40,
            "IDP_RATELIMIT_STORAGE_URL": "memory://",
        }
    )
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "render_as_batch": True,
                    "version_table": VERSION_TABLE,
                    "include_object": compared,
                },
            )
            differences = compare_metadata(context, db.metadata)
        assert differences == []
        # PostgreSQL gets the account search's trigram index besides the models (SQLite not).
        indexes = {index["name"] for index in inspect(db.engine).get_indexes("accounts")}
        assert (TRIGRAM_INDEX in indexes) == (db.engine.dialect.name == "postgresql")

        downgrade(revision="base")
        remaining = set(inspect(db.engine).get_table_names()) - {VERSION_TABLE}
        assert remaining == set()
        db.engine.dispose()


# The earlier release kept the provider's revision in Alembic's default table.
RELEASED_REVISION = "dd4cad43b7c0"


def version_num(name: str):
    return table(name, column("version_num")).c.version_num


@both_databases
@pytest.mark.parametrize("command", [["idp", "upgrade-db"], ["db", "upgrade"]])
def test_a_database_of_the_earlier_release_upgrades_in_place(database, command):
    app = create_app(
        {
            "IDP_DATABASE_URL": database,
            "IDP_SECRET_KEY": "k" * 40,
            "IDP_RATELIMIT_STORAGE_URL": "memory://",
        }
    )
    with app.app_context():
        upgrade(revision=RELEASED_REVISION)
        with db.engine.begin() as connection:
            # What that release left: its revision in alembic_version, and a member's row.
            connection.execute(text(f"ALTER TABLE {VERSION_TABLE} RENAME TO {LEGACY}"))
            connection.execute(
                text(
                    "INSERT INTO member_records (member_number, last_name, first_name,"
                    " birth_date, status, updated_at)"
                    " VALUES ('12345678', 'Dupont', 'Marie', '1985-04-12', 'active',"
                    " '2025-01-01 00:00:00')"
                )
            )
        db.engine.dispose()

    result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code == 0, result.output

    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        assert LEGACY not in tables and VERSION_TABLE in tables
        with db.engine.connect() as connection:
            heads = connection.execute(select(version_num(VERSION_TABLE))).all()
            assert [row[0] for row in heads] == [
                ScriptDirectory.from_config(alembic_config()).get_current_head()
            ]
            members = connection.execute(
                text("SELECT member_number, last_name FROM member_records")
            )
            assert members.all() == [("12345678", "Dupont")]
        db.engine.dispose()


@both_databases
def test_a_hosts_own_alembic_version_is_left_alone(database):
    app = create_app(
        {
            "IDP_DATABASE_URL": database,
            "IDP_SECRET_KEY": "k" * 40,
            "IDP_RATELIMIT_STORAGE_URL": "memory://",
        }
    )
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text(f"CREATE TABLE {LEGACY} (version_num VARCHAR(32) NOT NULL)"))
            connection.execute(insert(version_num(LEGACY).table).values(version_num="0123456789ab"))
        db.engine.dispose()

    result = app.test_cli_runner().invoke(args=["idp", "upgrade-db"])
    assert result.exit_code == 0, result.output

    with app.app_context():
        with db.engine.connect() as connection:
            host = connection.execute(select(version_num(LEGACY))).all()
        assert [row[0] for row in host] == ["0123456789ab"]
        assert VERSION_TABLE in inspect(db.engine).get_table_names()
        db.engine.dispose()
