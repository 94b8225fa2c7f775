"""What a run asks of the policy profiles, checked before any work is done: a shipped profile by
its id, and the what-if values (``NAME=VALUE``) of one run.

The command line (``--profile``, ``--set``) and the web application (the runs page) both ask
through here, so that both refuse the same requests in the same words, in Chinese and English.
"""

from collections.abc import Iterable

from mujun.policy.profiles import Profile, ProfileError, load_profile


class RequestedProfileError(ProfileError):
    """A profile or a what-if value that cannot be used; says why in Chinese and in English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


def shipped_profile(profile_id: str) -> Profile:
    """The shipped profile ``profile_id``; refused naming the profiles there are."""
    try:
        return load_profile(profile_id)
    except ProfileError as error:
        raise RequestedProfileError(f"配置错误：{error}", str(error)) from error


def parse_assignment(text: str) -> tuple[str, str]:
    """One what-if value, ``NAME=VALUE``, as its name and value (both stripped); refused
    without an ``=`` or a name."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise RequestedProfileError(
            f"假设参数应写作 参数=值：{text}", f"a what-if value is PARAMETER=VALUE: {text}"
        )
    return name.strip(), value.strip()


def with_what_if(profile: Profile, assignments: Iterable[str]) -> Profile:
    """``profile`` with the what-if values of one run (``NAME=VALUE`` each); the profile itself
    when there are none. An unknown parameter or a value its unit cannot read is refused."""
    overrides = dict(parse_assignment(text) for text in assignments)
    if not overrides:
        return profile
    try:
        return profile.with_overrides(overrides)
    except ProfileError as error:
        raise RequestedProfileError(f"假设参数有误：{error}", str(error)) from error
