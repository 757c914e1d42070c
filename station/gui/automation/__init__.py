"""Driving the station window from code: page objects in an officer's words, an event-loop
waiter, throw-away galleries and windows, and demo mode.

This is the Qt half of the test kit. :mod:`station.testing` (the pytest plugin a QA team
installs) re-exports it; the demo (``station demo``) plays scenarios through the same page
objects. Everything waits on the event loop, never sleeps, and finds widgets only by their
documented ``objectName``.
"""
