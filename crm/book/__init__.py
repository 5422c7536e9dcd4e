"""The lead book: leads, their addresses, timelines, offers, and getting data out."""
