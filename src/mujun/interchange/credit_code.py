"""The unified social credit code (统一社会信用代码) and its check digit, per GB 32100-2015.

Eighteen characters from a 31-character alphabet (digits and capitals without I, O, S, V, Z);
the last is a check character over the first seventeen with the weights 3^i mod 31.
"""

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
LENGTH = 18


def check_character(first17: str) -> str:
    """The check character completing the seventeen characters given."""
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    """Whether ``code`` is a well-formed credit code with a correct check character."""
    return (
        len(code) == LENGTH
        and all(ch in ALPHABET for ch in code)
        and check_character(code[:17]) == code[17]
    )
