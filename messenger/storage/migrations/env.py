"""Alembic environment: the engine comes from the app (``config.attributes['engine']``)."""

from collections import Counter

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
        # Rows that already pointed nowhere (none are known) are not this run's doing: only more of them stop
        # it. Counted by (table, parent table): a rebuilt table's rows may get new rowids.
        dangling_before = Counter((r[0], r[2]) for r in driver.execute("PRAGMA foreign_key_check").fetchall())
    try:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=sqlite,
        )
        with context.begin_transaction():
            context.run_migrations()
        if driver is not None:
            rows = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            added = Counter((r[0], r[2]) for r in rows) - dangling_before
            if added:
                raise RuntimeError(f"migration left rows whose foreign keys point nowhere: {dict(added)}")
        connection.commit()
    finally:
        if driver is not None:
            connection.rollback()
            driver.execute("PRAGMA foreign_keys=ON")
