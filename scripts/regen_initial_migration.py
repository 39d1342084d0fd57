"""Regenerate migration 0001 from the models while the schema is pre-release.

Usage: python scripts/regen_initial_migration.py  (writes store/migrations/versions/0001_initial.py)
Once winback has users, new migrations are added with alembic revision --autogenerate instead.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from store.migrate import MIGRATIONS_DIR, alembic_config

TARGET = MIGRATIONS_DIR / "versions" / "0001_initial.py"


def main() -> None:
    TARGET.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'empty.db'}"
        config = alembic_config(url)
        with create_engine(url).begin() as connection:
            config.attributes["connection"] = connection
            command.revision(config, message="initial schema", autogenerate=True, rev_id="0001")
    generated = next((MIGRATIONS_DIR / "versions").glob("0001_*.py"))
    generated.rename(TARGET)
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
