"""The pure core of Concordat: calendars, periods, cadences, agreements and their timelines.

Nothing in this package performs I/O or reads the wall clock; every function takes the
dates it needs as arguments, so the same inputs always give the same schedule.
"""
