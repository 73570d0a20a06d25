"""Alembic environment: the engine comes from the app (``config.attributes['engine']``)."""

from alembic import context

from messenger.storage.tables import metadata

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    driver = connection.connection.driver_connection if sqlite else None
    if driver is not None:
        # SQLite batch mode rebuilds a table (copy, drop the old one, rename the copy): with foreign keys
        # on, dropping ``users`` would cascade into every table that references it. Off before the
        # transaction begins (SQLite ignores the pragma inside one), checked before the commit, and on
        # again before the connection goes back to the pool.
        driver.execute("PRAGMA foreign_keys=OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=sqlite,
        )
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"migration left rows whose foreign keys point nowhere: {broken[:5]}")
        connection.commit()
    finally:
        if driver is not None:
            connection.rollback()
            driver.execute("PRAGMA foreign_keys=ON")
