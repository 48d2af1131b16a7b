"""Personal data in text, found offline and masked before anything learns from it.

Recognizers (each a pattern plus a check, so a number that merely looks right is left alone):

* ``phone``: Chinese mobile numbers (1[3-9] + 9 digits, optionally +86), Chinese landlines (area code 010, 02x
  or 0[3-9]xx, then a 7-8 digit local number that starts with 2-9), and international numbers written with a
  leading ``+``, which the ``phonenumbers`` library (Google's libphonenumber metadata) must judge valid;
* ``id_card``: 18-digit resident identity numbers (GB 11643-1999): a region code, a real birth date, a sequence
  code and the ISO 7064 MOD 11-2 check character;
* ``email``: addresses of the form local@domain.tld;
* ``bank_card``: 13-19 digits (optionally in groups of four) with a card-network prefix (Visa 4, Mastercard 51-55
  and 22-27, Amex 34/37, JCB 35, UnionPay and Discover 6) and a valid Luhn check digit (ISO/IEC 7812-1); an
  18-digit number shaped like a resident ID (region code and birth date) is judged as an ID, by its own check
  character. Old domestic cards that start with 9 are left out: in Chinese text, 18-digit numbers starting with 9
  are mostly unified social credit codes of companies, one in ten of which passes Luhn by chance;
* ``ip``: IPv4 and IPv6 addresses that Python's ``ipaddress`` accepts;
* ``url``: ``http(s)://``, ``ftp://`` and ``www.`` addresses.

Masking replaces each match with its type's placeholder (``<PHONE>``, ``<ID_CARD>``, ...). Overlapping matches
go to the longest (a URL that holds an IP address is masked as one URL).
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, get_args

from sizeup.errors import SizeupError
from sizeup.task import PIIType

__all__ = ["PII_TYPES", "PLACEHOLDERS", "Match", "MaskCounts", "find_pii", "mask_text", "mask_texts", "mask_columns",
           "id_check_char", "luhn_valid"]

PII_TYPES: tuple[str, ...] = get_args(PIIType)  # "phone", "id_card", "email", "bank_card", "ip", "url"
PLACEHOLDERS = {t: f"<{t.upper()}>" for t in PII_TYPES}
PRIORITY = {"url": 0, "email": 1, "id_card": 2, "bank_card": 3, "ip": 4, "phone": 5}  # ties on length


@dataclass(frozen=True)
class Match:
    kind: str
    start: int
    end: int
    text: str


@dataclass
class MaskCounts:
    """How many matches of each type were found before masking and how many remain after (0 when it worked)."""

    types: list[str]
    before: dict[str, int] = field(default_factory=dict)
    after: dict[str, int] = field(default_factory=dict)
    texts: int = 0
    texts_changed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"types": self.types, "before": self.before, "after": self.after, "texts": self.texts,
                "texts_changed": self.texts_changed}

    def add(self, other: MaskCounts) -> MaskCounts:
        """The counts of both (e.g. of two text columns) together."""
        total = lambda a, b: {t: a.get(t, 0) + b.get(t, 0) for t in self.types}  # noqa: E731
        return MaskCounts(self.types, total(self.before, other.before), total(self.after, other.after),
                          self.texts + other.texts, self.texts_changed + other.texts_changed)


# --- check digits -------------------------------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # 2^(17-i) mod 11, GB 11643-1999
_ID_CHECK = "10X98765432"


def id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def _id_shaped(digits: str) -> bool:
    """Region code 11-82 and a real birth date between 1800 and today: the structure of a resident ID."""
    if not (11 <= int(digits[:2]) <= 82):
        return False
    try:
        born = _dt.date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    except ValueError:
        return False
    return _dt.date(1800, 1, 1) <= born <= _dt.date.today()


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check of ISO/IEC 7812-1: double every second digit from the right, sum, divide by 10."""
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


# --- recognizers --------------------------------------------------------------------------------------------

_CN_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?!\d)")
_CN_LANDLINE = re.compile(r"(?<![\d+])(?:\((?:010|02\d|0[3-9]\d\d)\)\s?|(?:010|02\d|0[3-9]\d\d)[-\s]?)[2-9]\d{6,7}(?!\d)")
_INTL_HINT = re.compile(r"\+\s*\d")
_ID = re.compile(r"(?<![\dXx])\d{17}[\dXx](?![\dXx])")
_EMAIL = re.compile(r"(?<![A-Za-z0-9_.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![A-Za-z0-9-])")
_CARD = re.compile(r"(?<![\d-])(?:\d{4}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,3})?|\d{13,19})(?![\d-])")
_CARD_PREFIX = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|35|6)")  # Visa, Mastercard, Amex, JCB, UnionPay/Discover
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]|\.\d)")
_IPV6 = re.compile(r"(?<![0-9A-Za-z_:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?"
                   r"(?![0-9A-Za-z_:]|\.\d)")
_URL = re.compile(r"(?:(?:https?|ftp)://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", re.IGNORECASE)
_URL_TAIL = ".,;:!?)]}'\""
_HEX = re.compile(r"[0-9A-Fa-f]")


def _phones(text: str) -> Iterator[tuple[int, int]]:
    for pattern in (_CN_MOBILE, _CN_LANDLINE):
        for m in pattern.finditer(text):
            yield m.start(), m.end()
    if _INTL_HINT.search(text):  # the matcher is slow; it only runs where a "+number" is written
        from sizeup._imports import optional_import

        pn = optional_import("phonenumbers", extra="privacy", feature="[data] mask_pii = [\"phone\"]")
        for m in pn.PhoneNumberMatcher(text, None, leniency=pn.Leniency.VALID):
            yield m.start, m.end


def _id_cards(text: str) -> Iterator[tuple[int, int]]:
    for m in _ID.finditer(text):
        value = m.group().upper()
        if _id_shaped(value) and id_check_char(value[:17]) == value[17]:
            yield m.start(), m.end()


def _emails(text: str) -> Iterator[tuple[int, int]]:
    for m in _EMAIL.finditer(text):
        yield m.start(), m.end()


def _bank_cards(text: str) -> Iterator[tuple[int, int]]:
    for m in _CARD.finditer(text):
        digits = re.sub(r"[ -]", "", m.group())
        if not 13 <= len(digits) <= 19 or not _CARD_PREFIX.match(digits) or not luhn_valid(digits):
            continue
        if len(digits) == 18 and _id_shaped(digits):
            continue  # a resident ID's shape: its own check character decides (see _id_cards)
        yield m.start(), m.end()


def _ips(text: str) -> Iterator[tuple[int, int]]:
    for pattern in (_IPV4, _IPV6):
        for m in pattern.finditer(text):
            if pattern is _IPV6 and not _HEX.search(m.group()):
                continue  # "::" alone is punctuation far more often than the unspecified address
            try:
                ipaddress.ip_address(m.group())
            except ValueError:
                continue
            yield m.start(), m.end()


def _urls(text: str) -> Iterator[tuple[int, int]]:
    for m in _URL.finditer(text):
        end = m.end()
        while end > m.start() and text[end - 1] in _URL_TAIL:
            end -= 1
        if end - m.start() > len("www."):
            yield m.start(), end


RECOGNIZERS: dict[str, Callable[[str], Iterable[tuple[int, int]]]] = {
    "phone": _phones, "id_card": _id_cards, "email": _emails, "bank_card": _bank_cards, "ip": _ips, "url": _urls,
}


def _check_types(types: Iterable[str]) -> list[str]:
    types = list(dict.fromkeys(types))
    unknown = [t for t in types if t not in RECOGNIZERS]
    if unknown:
        raise SizeupError(f"unknown PII type {unknown[0]!r}; choose from {', '.join(PII_TYPES)}")
    return types


def find_pii(text: str, types: Iterable[str] = PII_TYPES) -> list[Match]:
    """Non-overlapping matches of ``types`` in ``text``, in order; where two overlap, the longer one wins."""
    found = [(s, e, kind) for kind in _check_types(types) for s, e in RECOGNIZERS[kind](text) if e > s]
    found.sort(key=lambda m: (-(m[1] - m[0]), PRIORITY[m[2]], m[0]))
    taken: list[tuple[int, int]] = []
    kept = []
    for s, e, kind in found:
        if all(e <= a or s >= b for a, b in taken):
            taken.append((s, e))
            kept.append(Match(kind, s, e, text[s:e]))
    return sorted(kept, key=lambda m: m.start)


def mask_text(text: str, types: Iterable[str] = PII_TYPES) -> tuple[str, list[Match]]:
    """``text`` with every match replaced by its placeholder, and the matches."""
    matches = find_pii(text, types)
    out, pos = [], 0
    for m in matches:
        out += [text[pos:m.start], PLACEHOLDERS[m.kind]]
        pos = m.end
    out.append(text[pos:])
    return "".join(out), matches


def mask_texts(texts: Iterable[str], types: Iterable[str] = PII_TYPES) -> tuple[list[str], MaskCounts]:
    """Mask every text; count each type before, and count again on the masked texts (what is left after)."""
    types = _check_types(types)
    before, after, masked, changed = Counter(), Counter(), [], 0
    for text in texts:
        new, matches = mask_text(text, types)
        before.update(m.kind for m in matches)
        if matches:
            changed += 1
            after.update(m.kind for m in find_pii(new, types))
        masked.append(new)
    counts = MaskCounts(types, {t: before[t] for t in types}, {t: after[t] for t in types}, len(masked), changed)
    return masked, counts


def mask_columns(columns: dict[str, list[str]], types: list[str]) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """What a loader calls for ``[data] mask_pii``: each named text column masked, and the bundle's ``pii`` note."""
    out, total = {}, MaskCounts(_check_types(types))
    for name, texts in columns.items():
        out[name], counts = mask_texts(texts, types)
        total = total.add(counts)
    return out, {**total.to_dict(), "columns": list(columns)}
