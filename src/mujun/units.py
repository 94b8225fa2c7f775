"""Unit conversions, in one place.

1 mu (亩) = 10000/15 m² exactly; conversions use exact fractions so that a threshold such as
"20 亩以上" compares without rounding.
"""

from fractions import Fraction

M2_PER_MU = Fraction(10000, 15)


def m2_to_mu(area_m2: float) -> float:
    """Area in mu for an area in m² (for display and storage; compare thresholds in m²)."""
    return float(Fraction(area_m2) / M2_PER_MU)


def mu_to_m2(area_mu: float) -> float:
    """Area in m² for an area in mu."""
    return float(Fraction(area_mu) * M2_PER_MU)
