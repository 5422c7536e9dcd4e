"""The demo data set: a plausible six months of a solo owner's leads, seeded.

Names, sources, offers, tags, timelines that climb the ladder at realistic rates, asks
with every outcome, some unsubscribes and bounces. Written with bulk inserts so the
100,000-lead set the benchmarks use loads in seconds. The same seed and ``now`` always
give the same data.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import unicodedata
from typing import Any

from crm.asking.ladder import get_ladder
from crm.book.lead_cache import fold_ask, fold_yes
from crm.book.leads import make_search_text
from crm.changes import ALL, note
from crm.errors import ValidationError
from crm.store.models import database_proxy

FIRST = (
    "Ada Alan Amara Ana Anna Aiko Ben Bianca Carlos Chen Chloé Dana David Elena Emma Eva "
    "Fatima Felix Grace Hana Hugo Ines Isla Jamal Jana Jonas Julia Kai Kofi Lars Laura Leila "
    "Lena Liam Lucas Maya Mateo Mia Noah Nora Olga Omar Paul Priya Rosa Ruth Sam Sara Sofia "
    "Tom Uma Victor Yara Yusuf Zoe Zoë Søren Agnieszka Thandiwe Renée José Jürgen"
).split()
LAST = (
    "Adams Ahmed Becker Brown Carter Costa Dubois Evans Fischer Garcia García Hansen Hoffmann "
    "Ito Jansen Kim Kowalski Lambert Lee López Martin Müller Nakamura Nguyen Novak O'Brien "
    "Okafor Patel Rossi Santos Schmidt Silva Singh Sokolova Tanaka Taylor Wagner Walker Weber "
    "Wiśniewski Ørsted Yilmaz Zhang"
).split()
DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com", "studio.example.org")
COMPANIES = (
    "",
    "",
    "",
    "Northwind Studio",
    "Blue Fern Yoga",
    "Kōhī Roasters",
    "Atelier Lumière",
    "Brightpath Coaching",
    "Nørgaard & Co",
    "Cedar Consulting",
    "Little Oak Bakery",
    "Summit Fitness",
    "Paper Crane Design",
)
SOURCES = (("mailchimp", 40), ("substack", 20), ("ghost", 10), ("website", 20), ("manual", 10))
INTERESTS = ("pricing", "marketing", "mindset", "productivity", "sales")
# name, kind, topics, step it is taken at
OFFERS = (
    ("Pricing guide", "guide", "pricing", "downloaded"),
    ("Email templates pack", "checklist", "marketing,sales", "downloaded"),
    ("Focus workbook", "guide", "productivity,mindset", "downloaded"),
    ("Launch checklist", "checklist", "marketing", "downloaded"),
    ("Business type quiz", "quiz", "mindset,sales", "answered"),
    ("Pricing survey", "survey", "pricing", "answered"),
)
# the chance a lead at each step goes on to the next one
CLIMB = {"subscribed": 0.55, "downloaded": 0.45, "answered": 0.4, "replied": 0.3, "booked": 0.45}
STATUS_WEIGHTS = (
    ("subscribed", 80),
    ("unsubscribed", 8),
    ("bounced", 3),
    ("complained", 1),
    ("pending", 4),
    ("none", 4),
)


_FOLD: dict[str, str | int | None] = {"ø": "o", "Ø": "O", "ł": "l", "'": ""}


def _ascii(text: str) -> str:
    """An address-friendly spelling: 'Jürgen.Ørsted' gives 'jurgen.orsted'."""
    text = text.translate(str.maketrans(_FOLD))
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isascii())


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    names = [n for n, _ in weighted]
    return rng.choices(names, weights=[w for _, w in weighted])[0]


def load_demo(*, leads: int = 400, seed: int = 7, now: dt.datetime) -> dict[str, int]:
    """Fill an empty database with the demo data set; return what was written."""
    note(tables=[ALL], leads=None)
    if leads < 1 or leads > 1_000_000:
        raise ValidationError(
            "The demo holds between 1 and 1,000,000 leads: pick a number in that range."
        )
    if database_proxy.execute_sql("SELECT 1 FROM lead LIMIT 1").fetchone():
        raise ValidationError(
            "The demo data goes into an empty database: this one already has leads, so use "
            "a new file (--db)."
        )
    with database_proxy.atomic():
        demo = _DemoBook(random.Random(seed), now.replace(microsecond=0))
        for i in range(leads):
            demo.add_lead(1 + i, i)
        demo.write()
    # Fresh statistics let the query planner pick the right index for the lead list.
    database_proxy.execute_sql("ANALYZE")
    return {
        "leads": len(demo.lead_rows),
        "commitments": len(demo.commitments),
        "asks": len(demo.asks),
        "events": len(demo.events),
        "offers": len(OFFERS),
    }


class _DemoBook:
    """The rows of the demo book, built lead by lead from one seeded random source (the
    order of its draws makes the book: the same seed gives the same book)."""

    def __init__(self, rng: random.Random, now: dt.datetime) -> None:
        self.rng, self.now = rng, now
        self.steps = {s.key: s for s in get_ladder()}
        self.order = [s.key for s in get_ladder()]
        self.lead_rows: list[tuple[Any, ...]] = []
        self.commitments: list[tuple[Any, ...]] = []
        self.asks: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        self.lead_tags: list[tuple[int, int]] = []
        self.ask_id = 0
        self.offer_ids: dict[str, int] = {}
        for name, kind, topics, _ in OFFERS:
            cur = database_proxy.execute_sql(
                "INSERT INTO offer (name, kind, topics, created_at) VALUES (?, ?, ?, ?)",
                (name, kind, topics, now - dt.timedelta(days=200)),
            )
            self.offer_ids[name] = cur.lastrowid
        self.tag_ids: dict[str, int] = {}
        for name in [*INTERESTS, "customer", "vip", "workshop 2026", "podcast listener"]:
            cur = database_proxy.execute_sql("INSERT INTO tag (name) VALUES (?)", (name,))
            self.tag_ids[name] = cur.lastrowid
        self.offers_at = {
            key: [n for n, _, _, at in OFFERS if at == key] for key in ("downloaded", "answered")
        }
        self.topics_of = {n: t.split(",") for n, _, t, _ in OFFERS}

    def add_lead(self, lead_id: int, i: int) -> None:
        rng, now, steps = self.rng, self.now, self.steps
        first = rng.choice(FIRST)
        last = rng.choice(LAST)
        local = _ascii(f"{first}.{last}".lower())
        email = f"{local}{i}@{rng.choice(DOMAINS)}"
        company = rng.choice(COMPANIES)
        source = _pick(rng, SOURCES)
        status = _pick(rng, STATUS_WEIGHTS)
        interest = rng.choice(INTERESTS)
        tags = {interest}
        if rng.random() < 0.08:
            tags.add("podcast listener")
        if rng.random() < 0.05:
            tags.add("workshop 2026")

        start = now - dt.timedelta(days=rng.uniform(2, 182))
        created = start - dt.timedelta(minutes=rng.randint(0, 600))
        t = start
        level = 0
        last_yes: dt.datetime | None = None
        last_ask: dt.datetime | None = None
        taken: list[str] = []
        if rng.random() < 0.3:
            self.commitments.append((lead_id, steps["clicked"].id, None, None, t, source, ""))
            level, last_yes = fold_yes(level, last_yes, steps["clicked"].level, t)
            t += dt.timedelta(hours=rng.uniform(0.1, 48))
        if status != "none":
            self.commitments.append((lead_id, steps["subscribed"].id, None, None, t, source, ""))
            level, last_yes = fold_yes(level, last_yes, steps["subscribed"].level, t)
            taken.append("subscribed")
            level, last_yes, last_ask = self._climb(
                lead_id, t, status, interest, taken, (level, last_yes, last_ask)
            )
        if "purchased" in taken:
            tags.add("customer")
            if rng.random() < 0.3:
                tags.add("vip")
        if status in ("unsubscribed", "bounced", "complained"):
            self._left(lead_id, status, (last_yes or start) + dt.timedelta(days=rng.uniform(1, 40)))
        first_name = "" if rng.random() < 0.06 else first
        last_name = "" if not first_name or rng.random() < 0.1 else last
        dnc = 1 if rng.random() < 0.005 else 0
        search = make_search_text(email, first_name, last_name, company)
        self.lead_rows.append(
            (lead_id, email, email.lower(), first_name, last_name, company, "", source, status,
             dnc, "", "{}", search, created, created, level, last_yes, last_ask)
        )  # fmt: skip
        self.lead_tags.extend((lead_id, self.tag_ids[name]) for name in sorted(tags))

    def _climb(
        self,
        lead_id: int,
        t: dt.datetime,
        status: str,
        interest: str,
        taken: list[str],
        cached: tuple[int, dt.datetime | None, dt.datetime | None],
    ) -> tuple[int, dt.datetime | None, dt.datetime | None]:
        """Asks up the ladder from "subscribed", each taken or not by the step's odds, until
        one is declined, ignored or still open; returns the lead's cached columns."""
        rng, now, steps = self.rng, self.now, self.steps
        level, last_yes, last_ask = cached
        key = "subscribed"
        while key in CLIMB and t < now:
            nxt = self.order[self.order.index(key) + 1]
            gap = dt.timedelta(days=rng.expovariate(1 / 9) + 0.2)
            asked_at = t + gap
            if asked_at >= now:
                break
            offer = None
            if nxt in self.offers_at:
                matching = [o for o in self.offers_at[nxt] if interest in self.topics_of[o]]
                offer = rng.choice(matching or self.offers_at[nxt])
            offer_id = self.offer_ids[offer] if offer else None
            climbs = rng.random() < CLIMB[key] * (0.6 if status in ("pending",) else 1)
            answered = asked_at + dt.timedelta(hours=rng.uniform(1, 72))
            self.ask_id += 1
            last_ask = fold_ask(last_ask, asked_at)
            if climbs and answered < now:
                self.asks.append(
                    (self.ask_id, lead_id, steps[nxt].id, offer_id, asked_at, "accepted",
                     answered, "")
                )  # fmt: skip
                self.commitments.append(
                    (lead_id, steps[nxt].id, offer_id, self.ask_id, answered, "manual", "")
                )
                level, last_yes = fold_yes(level, last_yes, steps[nxt].level, answered)
                t = answered
                key = nxt
                taken.append(nxt)
                continue
            age = (now - asked_at).days
            if age < 7 and rng.random() < 0.6:
                outcome, resolved = "pending", None
            else:
                outcome = rng.choice(("declined", "no_response", "no_response"))
                resolved = min(asked_at + dt.timedelta(days=rng.uniform(1, 8)), now)
            self.asks.append(
                (self.ask_id, lead_id, steps[nxt].id, offer_id, asked_at, outcome, resolved, "")
            )
            break
        return level, last_yes, last_ask

    def _left(self, lead_id: int, status: str, when: dt.datetime) -> None:
        summary = {
            "unsubscribed": "Unsubscribed",
            "bounced": "Email bounced",
            "complained": "Marked an email as spam",
        }[status]
        data = json.dumps({"from": "subscribed", "to": status})
        self.events.append((lead_id, min(when, self.now), "status", summary, data))

    def write(self) -> None:
        db = database_proxy
        db.execute_sql("SELECT 1")  # make sure this thread's connection is open
        conn = db.connection()
        conn.executemany(
            "INSERT INTO lead (id, email, email_key, first_name, last_name, company, phone, "
            "source, status, do_not_contact, notes, custom, search_text, created_at, updated_at,"
            " level, last_commitment_at, last_ask_at) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self.lead_rows,
        )
        conn.executemany(
            "INSERT INTO ask (id, lead_id, step_id, offer_id, asked_at, outcome, resolved_at, "
            "note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            self.asks,
        )
        conn.executemany(
            "INSERT INTO commitment (lead_id, step_id, offer_id, ask_id, at, source, note) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            self.commitments,
        )
        conn.executemany(
            "INSERT INTO lead_event (lead_id, at, kind, summary, data) VALUES (?, ?, ?, ?, ?)",
            self.events,
        )
        conn.executemany("INSERT INTO lead_tag (lead_id, tag_id) VALUES (?, ?)", self.lead_tags)
