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
    # activity exports, by their readers' keys (crm.importing.activity.<format>.PLATFORM);
    # the words in brackets name the kind of file, left out where the platform is enough
    "mailchimp_activity": "Mailchimp (activity)",
    "substack_activity": "Substack (activity)",
    "buttondown_activity": "Buttondown (events)",
    "buttondown_surveys": "Buttondown (surveys)",
    "google_forms": "Google Forms",
    "typeform": "Typeform",
    "tally": "Tally",
    "stripe": "Stripe (payments)",
    "gumroad": "Gumroad (sales)",
    "calendly": "Calendly",
    "calcom": "Cal.com",
    "shopify": "Shopify (orders)",
    "paypal": "PayPal (activity)",
    "generic_activity": "Generic activity CSV",
    "mailbox": "Mailbox",
}


def platform_words(platform: str) -> str:
    """A batch's platform (one key, or several joined by '+') as the owner reads it."""
    return " + ".join(PLATFORM_LABELS.get(p, p).split(" (")[0] for p in platform.split("+"))
