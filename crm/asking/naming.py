"""What an ask is called: "Invite to download the Focus workbook", never "Downloaded".

Step labels are the owner's words for what a lead *did* (past tense, "Booked a call"); a
list of asks names what the owner asks them to *do*. The default ladder's steps each have
their ask's words; a step the owner added gets its label turned into the ask ("Attended
webinar" -> "Invite to attend webinar"), or, when its first word is no past tense Smallyes
knows, "Ask for: <label>". A customer's asks after a sale name what they ask ("Ask how the
Launch workbook went", "Ask for a referral").

The same asks form one group (``group_key``): the step and the offer, and for the two asks
that share both with another ask (the reminder to confirm beside the invitation to
subscribe; how it went beside a follow-up on the same offer) what sets them apart.
"""

from __future__ import annotations

from collections.abc import Mapping

from crm.asking.rows import Rule

# (with an offer, {the} being "the Focus workbook"; without one)
_DEFAULT_ASKS: Mapping[str, tuple[str, str]] = {
    "clicked": ("Invite to take a look at {the}", "Invite to take a look"),
    "subscribed": ("Invite to subscribe for {the}", "Invite to subscribe"),
    "downloaded": ("Invite to download {the}", "Invite to download a free offer"),
    "answered": ("Invite to answer {the}", "Invite to answer a quick question"),
    "replied": ("Ask what they made of {the}", "Ask for a reply"),
    "booked": ("Invite to book {the}", "Invite to book a call"),
    "purchased": ("Invite to buy {the}", "Invite to buy"),
}
_RULE_ASKS: Mapping[str, tuple[str, str]] = {
    Rule.CONFIRM: ("Remind to confirm the subscription", "Remind to confirm the subscription"),
    Rule.HOW_IT_WENT: ("Ask how {the} went", "Ask how their order went"),
    Rule.REFERRAL: ("Ask for a referral", "Ask for a referral"),
    Rule.NEXT_PRODUCT: ("Invite to buy {the}", "Invite to buy"),
}
# The asks that share their step and offer with another ask, by what sets them apart.
VARIANTS: Mapping[str, str] = {Rule.CONFIRM: "confirm", Rule.HOW_IT_WENT: "how it went"}

_ARTICLES = ("the ", "a ", "an ", "my ", "your ", "our ")
_IRREGULAR = {
    "took": "take",
    "went": "go",
    "gave": "give",
    "made": "make",
    "came": "come",
    "bought": "buy",
    "got": "get",
    "saw": "see",
    "met": "meet",
    "read": "read",
    "sent": "send",
    "won": "win",
    "left": "leave",
    "paid": "pay",
    "wrote": "write",
    "chose": "choose",
    "began": "begin",
    "did": "do",
    "had": "have",
    "heard": "hear",
    "joined": "join",
    "liked": "like",
    "shared": "share",
    "signed": "sign",
    "completed": "complete",
    "created": "create",
    "rated": "rate",
    "subscribed": "subscribe",
}
_KEEP_DOUBLE = frozenset("lsz")


def the_offer(offer: str) -> str:
    """'the Focus workbook'; a name that has its own article keeps it ('My 5-day plan')."""
    return offer if offer.casefold().startswith(_ARTICLES) else f"the {offer}"


def _present(word: str) -> str | None:
    """A past-tense verb's plain form ('attended' -> 'attend'), or None if ``word`` is no
    past tense this knows."""
    low = word.casefold()
    if low in _IRREGULAR:
        return _IRREGULAR[low]
    if len(low) > 4 and low.endswith("ied"):
        return low[:-3] + "y"
    if len(low) <= 3 or not low.endswith("ed"):
        return None
    stem = low[:-2]
    if len(stem) >= 3 and stem[-1] == stem[-2] and stem[-1] not in _KEEP_DOUBLE:
        return stem[:-1]  # shipped -> ship
    if stem.endswith(("s", "c", "v", "z", "u")) and not stem.endswith("ss"):
        return stem + "e"  # purchased -> purchase, received -> receive
    return stem


def _from_label(label: str, offer: str | None) -> str:
    first, _, rest = label.strip().partition(" ")
    verb = _present(first) if first else None
    suffix = f" — {offer}" if offer else ""
    if verb is None:
        return f"Ask for: {label.strip()}{suffix}"
    return f"Invite to {' '.join(p for p in (verb, rest.lower()) if p)}{suffix}"


def ask_name(step: str, label: str, offer: str | None, rule: str = "") -> str:
    """The ask as a list names it: what the owner asks the lead to do."""
    words = _RULE_ASKS.get(rule) or _DEFAULT_ASKS.get(step)
    if words is None:
        return _from_label(label or step, offer)
    with_offer, without = words
    return with_offer.format(the=the_offer(offer)) if offer else without


def group_key(step: str, offer: str | None, rule: str = "") -> str:
    """A stable key for the ask: 'downloaded|Focus workbook', 'booked|', and, for the asks
    set apart by their rule, a third part ('subscribed||confirm')."""
    variant = VARIANTS.get(rule)
    key = f"{step}|{offer or ''}"
    return f"{key}|{variant}" if variant else key
