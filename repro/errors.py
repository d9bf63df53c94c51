"""User-facing errors: one line that names the problem and the fix."""


class ReproError(Exception):
    """An error caused by input or environment, shown to the user as one line (no traceback)."""
