"""Server-rendered pages (Jinja2), in Simplified Chinese."""

from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from mujun.web.dependencies import Current, Database, gate
from mujun.web.parcels import list_parcels
from mujun.web.permissions import Action, Role

TEMPLATES = Jinja2Templates(directory=str(resources.files("mujun.web") / "templates"))
router = APIRouter(include_in_schema=False)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)


@router.get("/", response_class=HTMLResponse)
def parcels_page(
    request: Request,
    current: Annotated[Current, Depends(gate(Action.READ))],
    db: Database,
    county: Annotated[str | None, Query(max_length=32)] = None,
    q: Annotated[str | None, Query(max_length=64)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """宗地清单: the parcels of the account's area, fifty a page."""
    listed = list_parcels(current, db, county=county, q=q, page=page, page_size=50)
    pages = max(1, -(-listed.total // listed.page_size))
    return render(
        request,
        "parcels.html",
        account=current.account,
        role_zh=Role(current.account.role).label_zh,
        csrf_token=current.session.csrf_token,
        listed=listed,
        pages=pages,
        county=county or "",
        q=q or "",
    )
