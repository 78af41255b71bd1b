"""The inference engine: a trained generator applied to frames of any size (model.py: Colorizer),
on a runtime of choice (backends.py), in tiles (tiling.py), at a working size with the colour put back
under the full-resolution lines (upsample.py; sizes.py holds the size defaults and their parser)."""
