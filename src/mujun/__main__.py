"""``python -m mujun``: the same as the ``mujun`` command."""

from mujun.cli.start import main

main()
