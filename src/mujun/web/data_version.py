"""Which state of the records a cache was built from: the database, the latest import and the
latest logged change. Whatever the web application keeps in memory (the map's parcel index,
the enterprises ranked by land) is rebuilt when this moves."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mujun.records import Change, DataImport, Parcel

DataVersion = tuple[str, int | None, int | None, int]


def data_version(db: Session) -> DataVersion:
    """The database's address, the latest import's and change's ids, and the parcel count."""
    return (
        str(db.get_bind().engine.url),
        db.scalar(select(func.max(DataImport.id))),
        db.scalar(select(func.max(Change.id))),
        db.scalar(select(func.count()).select_from(Parcel)) or 0,
    )
