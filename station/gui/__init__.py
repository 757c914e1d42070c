"""The Qt booking window (Qt only; no computation here).

Empty until the booking-station issue adds the window; the package exists so the layers
named in README are fixed from the start.
"""
