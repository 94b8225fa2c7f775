"""``python -m mujun``: the same as the ``mujun`` command."""

from mujun.cli.app import main

main()
