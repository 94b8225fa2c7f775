"""Alembic environment: runs on the engine handed over in ``config.attributes``."""

from alembic import context
from sqlalchemy import Engine

from mujun.records import Base
from mujun.records.partitions import models_only

engine: Engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=models_only(connection),
    )
    context.run_migrations()
