"""Asking: the ladder, pacing, asks and the next-ask engine, and the due asks of Today."""
