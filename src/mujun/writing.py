"""How dates are written in Chinese, once: 2025年3月1日 (GB/T 9704's 成文日期, no padding), as
notices, documents, messages and pages write them."""

import datetime as dt


def chinese_date(day: dt.date) -> str:
    """2025年3月1日."""
    return f"{day.year}年{day.month}月{day.day}日"
