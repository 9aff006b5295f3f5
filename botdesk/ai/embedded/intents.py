"""Which functions a user message triggers, decided without an LLM.

High-precision rules come first (a shared e-mail, phone or @username; explicit phrases in
English and Russian); a nearest-neighbour vote over example phrases catches paraphrases the
rules miss, but only above a strict similarity, because a wrong flag costs more than a
missed one (it can silence the AI or page a person).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import phonenumbers

from botdesk.ai.embedded.encoder import Encoder
from botdesk.ai.embedded.intent_examples import EXAMPLES, PATTERNS

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
USERNAME = re.compile(r"(?<![\w@.])@([A-Za-z][A-Za-z0-9_]{4,31})\b")
PHONE_CANDIDATE = re.compile(r"(?<![\w-])\+?\d[\d\s().-]{6,18}\d(?![\w-])")
# Neighbours that vote, and how many of them must agree.
VOTERS = 3
QUORUM = 2


@dataclass(frozen=True)
class Intents:
    flags: tuple[str, ...]
    contact: str | None


def find_contact(text: str, regions: tuple[str, ...]) -> str | None:
    """The first e-mail, phone (E.164) or @username in `text`, normalised."""
    found: list[str] = []
    found += [m.group(0).lower() for m in EMAIL.finditer(text)]
    for match in PHONE_CANDIDATE.finditer(text):
        phone = _phone(match.group(0), regions)
        if phone:
            found.append(phone)
    without_emails = EMAIL.sub(" ", text)
    found += ["@" + m.group(1) for m in USERNAME.finditer(without_emails)]
    return ", ".join(dict.fromkeys(found)) or None


def strip_contacts(text: str) -> str:
    """`text` without e-mails, phone numbers and @usernames."""
    text = EMAIL.sub(" ", text)
    text = PHONE_CANDIDATE.sub(" ", text)
    return " ".join(USERNAME.sub(" ", text).split())


def _phone(raw: str, regions: tuple[str, ...]) -> str | None:
    digits = re.sub(r"\D", "", raw)
    if len(digits) < 9 or len(digits) > 15:
        return None
    tries: tuple[str | None, ...] = (None,) if raw.strip().startswith("+") else regions
    for region in tries:
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


class IntentModel:
    """Rules plus example vectors for one set of example phrases."""

    def __init__(self, encoder: Encoder, extra: dict[str, list[str]] | None = None) -> None:
        self.encoder = encoder
        labels: list[str] = []
        phrases: list[str] = []
        for label, items in EXAMPLES.items():
            for phrase in [*items, *((extra or {}).get(label, []))]:
                labels.append(label)
                phrases.append(phrase)
        self.labels = labels
        self.vectors = encoder.encode(phrases)

    def detect(
        self,
        text: str,
        query_vector: np.ndarray,
        *,
        enabled: tuple[str, ...],
        threshold: float,
        regions: tuple[str, ...],
    ) -> Intents:
        flags: list[str] = []
        contact = find_contact(text, regions) if "get_contact" in enabled else None
        if contact:
            flags.append("get_contact")
        lowered = " ".join(text.lower().replace("ё", "е").split())
        for flag, pattern in PATTERNS.items():
            if flag in enabled and pattern.search(lowered):
                flags.append(flag)
        voted = self._vote(query_vector, threshold)
        if voted and voted in enabled and voted not in flags:
            flags.append(voted)
        return Intents(tuple(flags), contact)

    def _vote(self, query_vector: np.ndarray, threshold: float) -> str | None:
        sims = self.vectors @ query_vector
        order = np.argsort(-sims)[:VOTERS]
        if sims[order[0]] < threshold:
            return None
        top = self.labels[order[0]]
        agree = sum(1 for i in order if self.labels[i] == top and sims[i] >= threshold - 0.1)
        return top if agree >= QUORUM and top != "none" else None
