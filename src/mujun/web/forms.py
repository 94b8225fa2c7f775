"""What every form of the web application shares before the service is asked: the error of a
form filled in so that it cannot be (answered 422 with the form again), and its dates."""

import datetime as dt


class FormError(Exception):
    """A form filled in so that the service cannot be asked (a date that is not one)."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


def form_day(value: str, zh: str, en: str) -> dt.date | None:
    """The date in a form's field named ``zh`` / ``en``; None when left blank."""
    text = value.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FormError(
            f"{zh}有误：{text[:20]} 不是日期", f"{en} is not a date: {text[:20]}"
        ) from None


def required_day(value: str, zh: str, en: str) -> dt.date:
    """The date in a form's field that must be filled in."""
    found = form_day(value, zh, en)
    if found is None:
        raise FormError(f"请填写{zh}", f"{en} is required")
    return found
