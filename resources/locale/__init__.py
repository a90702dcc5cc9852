"""The translation catalogues: ``<language>.po`` (edited) and ``<language>.mo`` (compiled)."""
