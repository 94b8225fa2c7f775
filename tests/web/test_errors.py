"""Errors as pages: a browser asking for a refused, missing or invalid page gets a page in its
language, with the navigation, the reason and a way back it may follow; the API keeps JSON."""

import html
import re

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import COUNTY_B, PARCEL_A, PARCEL_B, sign_in


def links_back(page: str) -> list[str]:
    card = page.split('class="card error-card"')[1]
    return re.findall(r'<a class="btn[^"]*" href="([^"]+)"', card)


@pytest.mark.parametrize(
    "path",
    [
        "/findings?category=no-such-category",
        "/grades?grade=Z",
        "/enterprises?industry=" + "C" * 40,
        "/?page=0",
        "/cockpit?county=" + "3" * 40,
    ],
)
def test_a_filter_it_cannot_take_is_a_page_not_json(app_client: TestClient, path: str) -> None:
    sign_in(app_client, "analyst")
    page = app_client.get(path)
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert "查询条件无效" in page.text and "未执行查询" in page.text
    assert 'aria-current="page"' in page.text  # inside the layout, its list highlighted
    back = links_back(page.text)
    assert back[0] == path.split("?", maxsplit=1)[0] and "/workbench" in back


def test_the_invalid_value_is_named_in_the_pages_language(app_client: TestClient) -> None:
    sign_in(app_client, "analyst")
    chinese = app_client.get("/findings?category=bogus").text
    assert "「类别」的值“bogus”不是可选的值" in chinese
    english = app_client.get("/findings?category=bogus&lang=en").text
    assert 'category "bogus" is not one of the choices' in html.unescape(english)
    assert "查询条件无效" not in english and "The request is not valid" in english


def test_the_api_keeps_its_json(app_client: TestClient) -> None:
    sign_in(app_client, "analyst")
    invalid = app_client.get("/api/findings?category=bogus")
    assert invalid.status_code == 422 and invalid.json()["detail"][0]["loc"] == [
        "query",
        "category",
    ]
    missing = app_client.get("/api/parcels/NO-SUCH-PARCEL")
    assert missing.status_code == 404 and "NO-SUCH-PARCEL" in missing.json()["detail"]
    assert app_client.get("/api/no-such-thing").json() == {"detail": "Not Found"}


def test_a_missing_record_is_a_page_leading_back_to_its_list(app_client: TestClient) -> None:
    sign_in(app_client, "analyst")
    page = app_client.get("/parcels/NO-SUCH-PARCEL")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "没有找到" in page.text and "没有宗地 NO-SUCH-PARCEL" in page.text
    assert links_back(page.text) == ["/", "/workbench"]
    english = app_client.get("/parcels/NO-SUCH-PARCEL?lang=en").text
    assert "no parcel NO-SUCH-PARCEL" in english and "没有宗地" not in english


def test_an_unknown_address_is_a_page(app_client: TestClient) -> None:
    assert "没有此页面" in app_client.get("/no-such-page").text  # signed out: no navigation
    sign_in(app_client, "viewer")
    page = app_client.get("/no-such-page")
    assert page.status_code == 404 and "没有此页面" in page.text
    assert links_back(page.text) == ["/workbench"]


def test_a_refusal_says_why_and_leads_somewhere_allowed(app_client: TestClient) -> None:
    sign_in(app_client, "officer")
    county = app_client.get(f"/parcels/{PARCEL_B}")
    assert county.status_code == 403 and "无权访问" in county.text
    assert PARCEL_B in county.text and "不在本账号辖区内" in county.text
    assert "桐庐县" in county.text  # the account's area, by name
    assert links_back(county.text) == ["/", "/workbench"]
    assert app_client.get(links_back(county.text)[0]).status_code == 200
    assert app_client.get(f"/?county={COUNTY_B}").status_code == 403

    sign_in(app_client, "provider")  # reads nothing: every list refuses it
    role = app_client.get(f"/parcels/{PARCEL_A}")
    assert role.status_code == 403 and "部门数据报送员无权" in role.text
    assert links_back(role.text) == ["/workbench"]
    assert app_client.get("/workbench").status_code == 200


def test_a_signed_out_page_still_goes_to_the_sign_in_page(app_client: TestClient) -> None:
    response = app_client.get("/findings?category=bogus", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
