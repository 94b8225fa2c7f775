"""Which state of the records a cache was built from: the database, the latest import and the
latest logged change. Whatever the web application keeps in memory (the map's parcel index,
the jurisdictions' names) is rebuilt when this moves. (Values every list needs are derived
from the facts at import instead: :mod:`mujun.analytics.derived`.)"""

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from mujun.records import Change, DataImport

Latest = tuple[int, dt.datetime] | None
DataVersion = tuple[str, Latest, Latest]


def data_version(db: Session) -> DataVersion:
    """The database's address, and the id and time of its latest import and latest change
    (each read from the end of its primary key). The time tells apart tables emptied and
    written again, whose ids may start over."""
    return (
        str(db.get_bind().engine.url),
        _latest(db, DataImport.id, DataImport.finished_at),
        _latest(db, Change.id, Change.changed_at),
    )


def _latest(
    db: Session, key: InstrumentedAttribute[int], moment: InstrumentedAttribute[dt.datetime]
) -> Latest:
    row = db.execute(select(key, moment).order_by(key.desc()).limit(1)).first()
    return None if row is None else (row[0], row[1])
