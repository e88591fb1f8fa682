"""WHAT the model sees: the data contract, normalisation and point-in-time feature definitions."""
