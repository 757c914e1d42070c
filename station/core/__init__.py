"""Pure-numpy core: synthetic prints, extraction, templates, matching, disposition rules.

Nothing here imports Qt or talks SQL; every function is usable headless.
"""
