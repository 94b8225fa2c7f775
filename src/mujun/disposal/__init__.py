"""Disposal: cases driven from a finding to their exit under the law's deadlines
(workflow.md §1, §2 and §6)."""
