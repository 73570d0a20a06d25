"""Storage: table definitions, migrations and the database handle. Only this layer and the
``store.py`` modules of the features write SQL."""

from messenger.storage.db import Database, iso, utcnow

__all__ = ["Database", "iso", "utcnow"]
