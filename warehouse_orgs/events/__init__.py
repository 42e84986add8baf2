"""Events: a history table for each model people care about (see models.HasEvents)."""
