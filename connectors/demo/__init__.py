"""The built-in demo school: a deterministic, synthetic primary school with planted violations."""
