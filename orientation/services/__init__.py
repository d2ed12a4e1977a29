"""Services: each owns its transaction boundary's worth of work over the models."""
