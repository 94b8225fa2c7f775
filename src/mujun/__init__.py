"""mujun (亩均): find, grade, watch and dispose of idle and low-efficiency industrial land."""

__version__ = "0.1.0"
