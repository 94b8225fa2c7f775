"""The ``mujun`` command's entry point: the command line and the command's own modules loaded
with the cyclic garbage collector paused.

Loading them (typer, SQLAlchemy's models, Ibis, pyarrow …) makes a great many objects and no
garbage, and the collector, run every 700 new objects, walked them all again and again: a
quarter of a second of a command's start-up here. It is paused from the start until the
command's module is loaded (:func:`loaded`, which the program calls before the command runs);
what was loaded is then frozen out of the collections, which run as before.
"""

import gc


def main() -> None:
    gc.disable()
    from mujun.cli.app import main as run  # noqa: PLC0415 (after the collector is paused)

    run()


def loaded() -> None:
    """The command's modules are loaded: freeze what they made and collect again (if
    :func:`main` paused the collector; a program driven otherwise, by the tests, is left as
    it is)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
