"""The core: synthetic prints and holdings, extraction, templates, matching, disposition rules.

Computation on arrays with numpy, scipy, scikit-image and Pillow. Nothing here imports Qt or
talks SQL, and no file is read or written but those a caller names (the image codecs of
:mod:`station.core.image`, a calibration table written on request) and the matcher's own
packaged calibration table; every function is usable headless.
"""
