"""Deep Style: neural style transfer trained here and run in the browser.

The Python API, for a notebook or a web service (the ``deepstyle`` command line calls the same):

    from convert import stylize
    painting = stylize("cat.jpg", style="udnie")            # HxWx3 float32 in [0, 255]

    from convert import gatys                               # the optimisation method itself
    result = gatys.stylize(photo, painting_array, steps=300)

:mod:`convert.paint` holds :func:`~convert.paint.stylize` and the :class:`~convert.paint.Painter`
that loads the networks once for many pictures. Importing the package loads nothing heavy:
TensorFlow comes in with the first painting.
"""


__all__ = ["Painter", "gatys", "stylize"]


def __getattr__(name):
    if name in ("stylize", "Painter"):
        from . import paint

        return getattr(paint, name)
    if name == "gatys":
        import importlib

        return importlib.import_module(".gatys", __name__)
    raise AttributeError(f"module 'convert' has no attribute {name!r}")
