"""Identification: a profile's rules run on the records as of a date, giving findings with the
evidence each compared, the subjects that could not be judged, and a stored, comparable run."""
