"""Provider wire formats: one adapter per format behind ``WireAdapter``, a flat registry."""
