"""Keeping data safe: backups, the forgotten-people list, and files written for the user."""
