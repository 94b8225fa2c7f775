"""Commands of the web application: serve it, and manage its accounts."""

from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from mujun.cli.context import fail, settings, stdout
from mujun.cli.render import FormatOption, OutputFormat, print_json, print_table
from mujun.monitoring.schedule import ScheduleError, schedule_settings
from mujun.records.accounts import Account
from mujun.web.accounts import create_account
from mujun.web.basemap import BasemapError, basemap_file, check_basemap
from mujun.web.permissions import Role

accounts_app = typer.Typer(help="Accounts of the web application (账号).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
    app.add_typer(accounts_app, name="accounts")


def serve_command(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the web application (default http://127.0.0.1:8000); it judges the previous
    month by itself on the 5th at 02:00 (MUJUN_MONITOR_SCHEDULE=off, MUJUN_MONITOR_DAY,
    MUJUN_MONITOR_TIME). A base map file (MUJUN_BASEMAP_FILE) the map cannot show stops it
    here, saying why."""
    s = settings(ctx)
    try:
        schedule = schedule_settings()
    except ScheduleError as error:
        fail(str(error))
    tiles = basemap_file()
    try:
        if tiles is not None:
            check_basemap(tiles)
    except BasemapError as error:
        fail(s.say(error.zh, error.en))
    # Imported when the server starts: the application and its server take most of a second
    # to import, which `mujun --help` (it loads every command's module) need not wait for.
    import uvicorn  # noqa: PLC0415

    from mujun.web.app import create_app  # noqa: PLC0415

    app = create_app(s.engine())
    app.state.monitor_schedule = schedule
    stdout.print(s.say(f"访问 http://{host}:{port}/", f"Open http://{host}:{port}/"), markup=False)
    uvicorn.run(app, host=host, port=port, log_level="warning")


@accounts_app.command("add")
def add_account(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The sign-in name.")],
    role: Annotated[Role, typer.Option(help="What the account may do.")],
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, envvar="MUJUN_PASSWORD", help="≥ 8 chars")
    ],
    county: Annotated[str | None, typer.Option(help="The county it works on.")] = None,
    department: Annotated[
        str | None,
        typer.Option(help="A data provider's department (tax, power, natural_resources, …)."),
    ] = None,
    name: Annotated[str | None, typer.Option(help="The name shown.")] = None,
) -> None:
    """Add a local account."""
    s = settings(ctx)
    with Session(s.engine()) as session:
        if session.scalars(select(Account).where(Account.username == username)).first():
            fail(s.say(f"账号 {username} 已存在", f"account {username} exists"))
        try:
            create_account(
                session,
                username=username,
                password=password,
                role=role,
                display_name=name,
                county_code=county,
                department=department,
            )
        except ValueError as error:
            fail(str(error))
        session.commit()
    stdout.print(s.say(f"已添加账号 {username}", f"Account {username} added"), markup=False)


DEMO_PASSWORD = "mujun-demo"
DEMO_ACCOUNTS = (
    ("admin", Role.ADMINISTRATOR, None, None, "系统管理员"),
    ("city", Role.CITY_ANALYST, None, None, "市级分析员"),
    ("tonglu", Role.COUNTY_OFFICER, "330122", None, "桐庐县工作人员"),
    ("tax", Role.DATA_PROVIDER, None, "tax", "税务局数据报送员"),
    ("land", Role.DATA_PROVIDER, None, "natural_resources", "自然资源和规划局经办人"),
    ("viewer", Role.VIEWER, None, None, "查阅人员"),
)
"""The demo city's accounts (:mod:`mujun.demo`'s Tonglu is 330122; ``tax`` reports the tax
bureau's data; ``land`` the natural resources bureau's, and works the disposal tasks
dispatched to it); for the demo only."""


@accounts_app.command("demo")
def demo_accounts(ctx: typer.Context) -> None:
    """Add the demo city's accounts (those not there yet) and show how to sign in."""
    s = settings(ctx)
    with Session(s.engine()) as session:
        taken = set(session.scalars(select(Account.username)))
        for username, role, county, department, name in DEMO_ACCOUNTS:
            if username not in taken:
                create_account(
                    session,
                    username=username,
                    password=DEMO_PASSWORD,
                    role=role,
                    display_name=name,
                    county_code=county,
                    department=department,
                )
        session.commit()
    print_table(
        s.say(f"演示账号（密码均为 {DEMO_PASSWORD}）", f"Demo accounts (password {DEMO_PASSWORD})"),
        [s.say("用户名", "user"), s.say("角色", "role"), s.say("范围", "scope")],
        [
            (u, s.say(r.label_zh, r.value), c or d or s.say("全部", "all"))
            for u, r, c, d, _ in DEMO_ACCOUNTS
        ],
    )


@accounts_app.command("list")
def list_accounts(ctx: typer.Context, output: FormatOption = OutputFormat.TABLE) -> None:
    """List the accounts."""
    s = settings(ctx)
    with Session(s.engine()) as session:
        accounts = session.scalars(select(Account).order_by(Account.username)).all()
        rows = [
            {
                "username": a.username,
                "name": a.display_name,
                "role": a.role,
                "county": a.county_code,
                "department": a.department,
                "locked_until": a.locked_until,
            }
            for a in accounts
        ]
    if output is OutputFormat.JSON:
        print_json({"accounts": rows})
        return
    print_table(
        s.say("账号", "Accounts"),
        [
            s.say("用户名", "user"),
            s.say("姓名", "name"),
            s.say("角色", "role"),
            s.say("区县", "county"),
            s.say("部门", "department"),
            s.say("锁定至", "locked until"),
        ],
        [tuple(r.values()) for r in rows],
    )
