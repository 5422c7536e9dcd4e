"""``python -m ui`` starts the Smallyes desktop app."""

from ui.app import main

raise SystemExit(main())
