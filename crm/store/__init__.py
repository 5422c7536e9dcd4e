"""Where the book lives: opening the file, its schema and migrations, locks, health."""
