"""The files an import read, kept as they were sent: evidence of what a department supplied,
beside the rows it wrote (issue 14's archive; the import history offers them for download).

A file is kept in pieces of at most :data:`PIECE_BYTES`, each compressed with Zstandard, so
neither keeping nor reading one needs the whole file in memory. Written by the importer in its
own transaction (a failed import keeps none); not in the change log, whose rows of the import
point to it by the import's number.
"""

from sqlalchemy import BigInteger, ForeignKey, ForeignKeyConstraint, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from mujun.records.base import Base

PIECE_BYTES = 8 * 1024 * 1024


class ImportFile(Base):
    """One file an import read: its name, size and SHA-256 digest."""

    __tablename__ = "import_files"

    import_id: Mapped[int] = mapped_column(
        ForeignKey("imports.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))


class ImportFilePiece(Base):
    """A piece of a kept file, in order, compressed."""

    __tablename__ = "import_file_pieces"
    __table_args__ = (
        ForeignKeyConstraint(
            ["import_id", "name"],
            ["import_files.import_id", "import_files.name"],
            ondelete="CASCADE",
        ),
    )

    import_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    """The piece's length before compression."""
    content: Mapped[bytes] = mapped_column(LargeBinary)
