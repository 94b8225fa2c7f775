"""GB 32100 check characters, in Python and in the validator's SQL, agree."""

import random

import duckdb
import pytest

from mujun.interchange import credit_code
from mujun.interchange.validation import _expected_check_character


def test_a_published_code_is_valid() -> None:
    assert credit_code.is_valid("91350100M000100Y43")


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y44",  # wrong check character
        "91350100M000100Y4",  # 17 characters
        "91350100M000100I43",  # I is not in the alphabet
        "91350100m000100Y43",  # lower case
    ],
)
def test_malformed_codes_are_not_valid(code: str) -> None:
    assert not credit_code.is_valid(code)


def test_sql_check_character_agrees_with_python() -> None:
    rng = random.Random(7)
    bodies = ["".join(rng.choice(credit_code.ALPHABET) for _ in range(17)) for _ in range(500)]
    db = duckdb.connect()
    db.execute("CREATE TABLE c (code VARCHAR)")
    db.executemany("INSERT INTO c VALUES (?)", [[b + "0"] for b in bodies])
    expected_sql = _expected_check_character("code")
    got = [row[0] for row in db.execute(f"SELECT {expected_sql} FROM c").fetchall()]
    assert got == [credit_code.check_character(b) for b in bodies]
