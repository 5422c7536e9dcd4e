"""The demo data set: a plausible six months of a solo owner's leads, seeded.

Names, sources, offers, tags, timelines that climb the ladder at realistic rates, asks
with every outcome, some unsubscribes and bounces, and sales: each "purchased" yes is a
paid sale of a product (mostly in euros, one product in dollars), some buyers buy again,
a few sales are partly or wholly refunded. Written with bulk inserts so the
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
# name, price in minor units, currency, topics, platform: what the buyers buy
PRODUCTS = (
    ("Pricing workshop", 14900, "EUR", "pricing,sales", "stripe"),
    ("Marketing mini-course", 9700, "EUR", "marketing", "stripe"),
    ("Focus coaching, 4 sessions", 39000, "EUR", "productivity,mindset", "stripe"),
    ("Launch toolkit", 4900, "USD", "marketing,sales", "gumroad"),
)
DOLLAR_SHARE = 0.12  # of first purchases: the toolkit, sold in dollars
PARTLY_REFUNDED = 0.06  # of first purchases, refunded in part
BUYS_WITHOUT_ASKING = 0.03  # of free-offer takers: a product bought days after the offer
BUYS_AGAIN = 0.2  # of buyers, a second product later
WHOLLY_REFUNDED = 0.15  # of second purchases: no yes is left of them
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
        # Sales draw from a source of their own: the leads stay those of the same seed.
        demo = _DemoBook(
            random.Random(seed), now.replace(microsecond=0), random.Random(f"sales {seed}")
        )
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
        "offers": len(OFFERS) + len(PRODUCTS),
        "sales": len(demo.sales),
    }


class _DemoBook:
    """The rows of the demo book, built lead by lead from one seeded random source (the
    order of its draws makes the book: the same seed gives the same book)."""

    def __init__(self, rng: random.Random, now: dt.datetime, sales_rng: random.Random) -> None:
        self.rng, self.now, self.sales_rng = rng, now, sales_rng
        # The owner's personal asks of the day start at none: the demo's asks end yesterday.
        self.today = dt.datetime.combine(now.date(), dt.time())
        self.steps = {s.key: s for s in get_ladder()}
        self.order = [s.key for s in get_ladder()]
        self.lead_rows: list[tuple[Any, ...]] = []
        self.commitments: list[tuple[Any, ...]] = []
        self.asks: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        self.lead_tags: list[tuple[int, int]] = []
        self.sales: list[tuple[Any, ...]] = []
        self.refunds: list[tuple[Any, ...]] = []
        self.ask_id = 0
        self.commitment_id = 0
        self.offer_ids: dict[str, int] = {}
        for name, kind, topics, _ in OFFERS:
            cur = database_proxy.execute_sql(
                "INSERT INTO offer (name, kind, topics, created_at) VALUES (?, ?, ?, ?)",
                (name, kind, topics, now - dt.timedelta(days=200)),
            )
            self.offer_ids[name] = cur.lastrowid
        for name, price, currency, topics, _ in PRODUCTS:
            cur = database_proxy.execute_sql(
                "INSERT INTO offer (name, kind, topics, created_at, price, currency) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (name, "product", topics, now - dt.timedelta(days=200), price, currency),
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
            self._yes(lead_id, steps["clicked"].id, None, None, t, source)
            level, last_yes = fold_yes(level, last_yes, steps["clicked"].level, t)
            t += dt.timedelta(hours=rng.uniform(0.1, 48))
        if status != "none":
            self._yes(lead_id, steps["subscribed"].id, None, None, t, source)
            level, last_yes = fold_yes(level, last_yes, steps["subscribed"].level, t)
            taken.append("subscribed")
            level, last_yes, last_ask = self._climb(
                lead_id, t, status, interest, taken, (level, last_yes, last_ask)
            )
        if "purchased" in taken:
            level, last_yes = self._buy_again(lead_id, (level, last_yes))
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
            if asked_at >= self.today:
                break
            offer = None
            if nxt in self.offers_at:
                matching = [o for o in self.offers_at[nxt] if interest in self.topics_of[o]]
                offer = rng.choice(matching or self.offers_at[nxt])
            product = self._product(interest) if nxt == "purchased" else None
            if product is not None:
                offer = product[0]
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
                source = product[4] if product else "manual"
                yes = self._yes(lead_id, steps[nxt].id, offer_id, self.ask_id, answered, source)
                if product is not None:
                    self._sell(lead_id, yes, product, answered, first=True)
                level, last_yes = fold_yes(level, last_yes, steps[nxt].level, answered)
                if offer_id is not None and product is None:
                    bought = self._buy_unasked(lead_id, interest, answered)
                    if bought is not None:
                        top = steps["purchased"].level
                        level, last_yes = fold_yes(level, last_yes, top, bought)
                        taken.append("purchased")
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

    def _yes(
        self,
        lead_id: int,
        step_id: int,
        offer_id: int | None,
        ask_id: int | None,
        at: dt.datetime,
        source: str,
    ) -> int:
        self.commitment_id += 1
        self.commitments.append((self.commitment_id, lead_id, step_id, offer_id, ask_id, at,
                                 source, ""))  # fmt: skip
        return self.commitment_id

    def _product(self, interest: str) -> tuple[str, int, str, str, str]:
        """What a buyer buys: the dollar toolkit now and then, else a euro product that
        matches the lead's interest."""
        rng = self.sales_rng
        euros = [p for p in PRODUCTS if p[2] == "EUR"]
        if rng.random() < DOLLAR_SHARE:
            return next(p for p in PRODUCTS if p[2] == "USD")
        matching = [p for p in euros if interest in p[3].split(",")]
        return rng.choice(matching or euros)

    def _sell(
        self,
        lead_id: int,
        commitment_id: int | None,
        product: tuple[str, int, str, str, str],
        at: dt.datetime,
        *,
        first: bool,
        refunded: int = 0,
    ) -> None:
        name, price, currency, _, platform = product
        rng = self.sales_rng
        if first and rng.random() < PARTLY_REFUNDED:
            refunded = price * rng.choice((3, 5)) // 10  # 30% or 50% back
        sale_id = len(self.sales) + 1
        self.sales.append(
            (sale_id, lead_id, commitment_id, sale_id, at, name, currency, price, refunded,
             platform, f"demo_{platform}_{sale_id:07d}")
        )  # fmt: skip
        if refunded:
            when = min(at + dt.timedelta(days=rng.uniform(1, 14)), self.now)
            self.refunds.append((sale_id, when, refunded))

    def _buy_unasked(self, lead_id: int, interest: str, took_at: dt.datetime) -> dt.datetime | None:
        """Now and then a lead buys a product soon after a free offer, before any ask to
        buy; returns when (None when not)."""
        rng = self.sales_rng
        if rng.random() >= BUYS_WITHOUT_ASKING:
            return None
        at = took_at + dt.timedelta(days=rng.expovariate(1 / 4))
        if at >= self.now:
            return None
        product = self._product(interest)
        step = self.steps["purchased"]
        yes = self._yes(lead_id, step.id, self.offer_ids[product[0]], None, at, product[4])
        self._sell(lead_id, yes, product, at, first=True)
        return at

    def _buy_again(
        self, lead_id: int, cached: tuple[int, dt.datetime | None]
    ) -> tuple[int, dt.datetime | None]:
        """Now and then a second product some weeks after the first purchase; a wholly
        refunded one leaves its sale row and no yes. Returns the lead's cached columns."""
        rng = self.sales_rng
        level, last_yes = cached
        if last_yes is None or rng.random() >= BUYS_AGAIN:
            return level, last_yes
        at = last_yes + dt.timedelta(days=rng.uniform(5, 60))
        first = self.sales[-1][5]  # the purchase the climb just made
        choices = [p for p in PRODUCTS if p[2] == "EUR" and p[0] != first]
        if at >= self.now or not choices:
            return level, last_yes
        product = rng.choice(choices)
        if rng.random() < WHOLLY_REFUNDED:
            self._sell(lead_id, None, product, at, first=False, refunded=product[1])
            return level, last_yes
        step = self.steps["purchased"]
        yes = self._yes(lead_id, step.id, self.offer_ids[product[0]], None, at, product[4])
        self._sell(lead_id, yes, product, at, first=False)
        return fold_yes(level, last_yes, step.level, at)

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
            "INSERT INTO commitment (id, lead_id, step_id, offer_id, ask_id, at, source, note) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            self.commitments,
        )
        conn.executemany(
            "INSERT INTO sale (id, lead_id, commitment_id, key, at, product, currency, amount, "
            "refunded, platform, source_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self.sales,
        )
        conn.executemany("INSERT INTO refund (sale_id, at, amount) VALUES (?, ?, ?)", self.refunds)
        conn.executemany(
            "INSERT INTO lead_event (lead_id, at, kind, summary, data) VALUES (?, ?, ?, ?, ?)",
            self.events,
        )
        conn.executemany("INSERT INTO lead_tag (lead_id, tag_id) VALUES (?, ?)", self.lead_tags)
