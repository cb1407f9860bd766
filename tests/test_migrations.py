"""`flask db upgrade` on an empty database gives exactly the models, and downgrade undoes it."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from idp_extension import create_app
from idp_extension.db import db
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
                opts={"compare_type": True, "render_as_batch": True, "include_object": compared},
            )
            differences = compare_metadata(context, db.metadata)
        assert differences == []
        # PostgreSQL gets the account search's trigram index besides the models (SQLite not).
        indexes = {index["name"] for index in inspect(db.engine).get_indexes("accounts")}
        assert (TRIGRAM_INDEX in indexes) == (db.engine.dialect.name == "postgresql")

        downgrade(revision="base")
        remaining = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        db.engine.dispose()
