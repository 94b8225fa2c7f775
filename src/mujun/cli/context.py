"""What every command shares: the records database, the language, and how failures end."""

import datetime as dt
import os
import sys
from dataclasses import dataclass, field
from typing import NoReturn

import typer
from rich.console import Console
from sqlalchemy import Engine

from mujun.interchange.problems import Language
from mujun.records.database import open_engine, upgrade

PIPED_WIDTH = 160
"""Tables written to a file or a pipe are this wide, not folded to 80 columns."""

stdout = Console(soft_wrap=True, width=None if sys.stdout.isatty() else PIPED_WIDTH)
stderr = Console(stderr=True, soft_wrap=True)


@dataclass
class Settings:
    db_url: str | None
    lang: Language
    _engine: Engine | None = field(default=None, init=False, repr=False)

    def engine(self) -> Engine:
        """The records database, opened once by a command and its schema brought up to date;
        facts written through the ORM refresh their derived values."""
        if self._engine is None:
            # Imported when a command opens the records, not when the program starts: it loads
            # the analytics (Ibis), which `mujun --help` and a mistyped option need not wait for.
            from mujun.analytics.derived import follow_orm_writes  # noqa: PLC0415

            follow_orm_writes()
            self._engine = open_engine(self.db_url)
            upgrade(self._engine)
        return self._engine

    def close(self) -> None:
        """Close the records' connections (SQLite checkpoints its log into the file)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def say(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en


def settings(ctx: typer.Context) -> Settings:
    found: Settings = ctx.ensure_object(Settings)
    return found


def default_language() -> Language:
    return "en" if os.environ.get("MUJUN_LANG", "zh").lower().startswith("en") else "zh"


def fail(reason: str, code: int = 1) -> NoReturn:
    """End the command: a one-line reason on stderr and a non-zero exit."""
    stderr.print(reason.replace("\n", " "), markup=False, highlight=False)
    raise typer.Exit(code)


def parse_date(s: Settings, text: str) -> dt.date:
    """A date given as YYYY-MM-DD, or fail saying so."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(s.say(f"日期应为 YYYY-MM-DD：{text}", f"Not a date (YYYY-MM-DD): {text}"))
