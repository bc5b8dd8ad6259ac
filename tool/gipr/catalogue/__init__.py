"""The catalogue of user-facing texts: one module of texts per stage and the one accessor,
:func:`gipr.catalogue.access.say`."""
