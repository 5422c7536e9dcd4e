"""The platforms' names as the owner reads them; light enough for the timeline to use
at start-up without loading the importer."""

from __future__ import annotations

PLATFORM_LABELS = {
    "mailchimp": "Mailchimp",
    "substack": "Substack",
    "ghost": "Ghost",
    "buttondown": "Buttondown",
    "beehiiv": "beehiiv",
    "mailerlite": "MailerLite",
    "brevo": "Brevo",
    "kit": "Kit (ConvertKit)",
    "emailoctopus": "EmailOctopus",
    "flodesk": "Flodesk",
    "google": "Google Contacts",
    "outlook": "Outlook contacts",
    "generic": "Generic CSV",
    "smallyes": "Smallyes export",
}


def platform_words(platform: str) -> str:
    """A batch's platform (one key, or several joined by '+') as the owner reads it."""
    return " + ".join(PLATFORM_LABELS.get(p, p).split(" (")[0] for p in platform.split("+"))
