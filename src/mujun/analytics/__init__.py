"""The analytics layer: the records as relational expressions (Ibis), run by DuckDB in process.

Nothing here loops over parcels or enterprises in Python; every figure is a column of a table
expression, so the same expressions can be handed to another Ibis backend (Spark) unchanged.
"""
