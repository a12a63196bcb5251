"""Weight initialisation (``deepgrad.nn.init``)."""
