"""Interchange formats: what the station reads from and writes for other systems.

No Qt and no SQL here; the layer imports only :mod:`station.core`.
"""
