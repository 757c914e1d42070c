"""Capture sources behind one interface (mock live-scan scanner, image files).

Empty until the booking-station issue adds the sources; the package exists so the layers
named in README are fixed from the start.
"""
