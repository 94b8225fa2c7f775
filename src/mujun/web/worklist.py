"""What the 工作台 lists for an account: an item that needs it (a to-do) or that it should
watch (a warning). Each domain's page module makes its own items; the workbench gathers them."""

from typing import Literal

from pydantic import BaseModel


class Item(BaseModel):
    """Something that needs the account (a to-do) or that it should watch (a warning)."""

    level: Literal["info", "warning", "danger"]
    zh: str
    en: str
    href: str | None = None
    count: int | None = None
