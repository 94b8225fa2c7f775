"""Monitoring and early warning (workflow.md §3): the month's signals judged over the records,
kept as a run, and the warnings they raise, continue and lift, routed and followed to closure."""
