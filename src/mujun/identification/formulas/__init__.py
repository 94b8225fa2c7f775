"""The formulas of every rule of rules.md, registered by rule id on import
(:data:`~mujun.identification.judgement.FORMULAS`)."""

from mujun.identification.formulas import ankang, idle, tonglu, yancheng, yuzhou

__all__ = ["ankang", "idle", "tonglu", "yancheng", "yuzhou"]
