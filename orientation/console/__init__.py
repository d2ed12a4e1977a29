"""The coordinator console (French web UI)."""
