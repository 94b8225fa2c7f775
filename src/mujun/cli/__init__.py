"""The ``mujun`` command line."""
