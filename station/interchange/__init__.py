"""Interchange formats: what the station writes for, and reads from, other systems.

No Qt and no SQL here; the modules import only :mod:`station.core`.
"""
