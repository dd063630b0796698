"""Alembic environment: runs on the connection that honestcount hands over."""

from alembic import context
from sqlalchemy import create_engine

from honestcount.store.tables import metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # plain `alembic` command line: take the URL from the config
        from honestcount.store.db import database_url

        engine = create_engine(database_url(config.get_main_option("sqlalchemy.url")))
        with engine.begin() as connection:
            _migrate(connection)
    else:
        _migrate(connection)


def _migrate(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run()
