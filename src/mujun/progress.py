"""Reporting progress of long work: what is being done, and how much of the whole is done."""

from collections.abc import Callable

Progress = Callable[[str, float], None]
"""Called with the step under way and the fraction of the whole work done (0 to 1)."""


def silent(_step: str, _done: float) -> None:
    """Progress nobody watches."""


def phase(progress: Progress, index: int, of: int) -> Progress:
    """Progress of phase ``index`` (0-based) of ``of`` equal phases, as progress of the whole."""
    return lambda step, done: progress(step, (index + min(done, 1.0)) / of)
