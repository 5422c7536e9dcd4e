"""Importing activity: opens, clicks, answers, replies, bookings and sales, as dated yeses.

Each format's reader (one module per platform) turns a file or a ZIP member into
:class:`~crm.importing.activity.rows.ActivityRow` values, pure and without a database;
the activity import turns those rows into timeline events.
"""
