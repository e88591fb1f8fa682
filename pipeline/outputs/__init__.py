"""The files people open: the target lists and the model card."""
