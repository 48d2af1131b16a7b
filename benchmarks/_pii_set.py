"""A labelled PII set, generated with a fixed seed: Chinese and English sentences that each hold one valid number,
address or URL, and look-alikes that hold an ID or card number whose check digit is wrong.

Valid values are made the way the real ones are: resident IDs from real region codes, real birth dates and the
GB 11643 check character; card numbers from real issuer prefixes with the Luhn digit; international numbers
that ``phonenumbers`` judges valid (its example number per region, with the last digits varied).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import random
from typing import Any

from sizeup.data.pii import find_pii, id_check_char, luhn_valid

REGIONS = ["110101", "110105", "310104", "310115", "440305", "440106", "330106", "510107", "420102", "320102",
           "610113", "620102", "650102", "210102", "370102", "500103", "350203", "430104", "530102", "460105"]
CARD_PREFIXES = [("622202", 19), ("621700", 19), ("622848", 19), ("625908", 16), ("436742", 16), ("518710", 16),
                 ("402658", 16), ("552599", 16)]
AREAS = ["010", "021", "020", "022", "0755", "0571", "028", "0731"]
INTL_REGIONS = ["US", "GB", "DE", "FR", "JP", "AU", "SG", "CA", "IN", "KR"]
DOMAINS = ["qq.com", "163.com", "gmail.com", "example.org", "corp.com.cn", "uni.edu", "mail.ru"]
WORDS = ["shop", "news", "blog", "data", "cloud", "sina", "example", "health", "school", "travel"]
TEMPLATES = {
    "phone": ["请拨打{}联系客服。", "联系电话：{}", "有问题请打{}，谢谢！", "Call me at {} tomorrow.", "Phone: {}", "Our office line is {}."],
    "id_card": ["我的身份证号是{}，请核对。", "身份证号码：{}", "证件号{}已登记", "ID number: {}.", "Her ID card reads {} on the front."],
    "email": ["邮箱：{}", "请发邮件到{}咨询", "Email {} for details.", "Contact: {}"],
    "bank_card": ["卡号{}已冻结", "请转账到{}，户名张三。", "Card {} was charged twice.", "Account: {}"],
    "ip": ["服务器地址{}无法访问", "登录IP：{}", "Server {} is down.", "Requests from {} were blocked."],
    "url": ["详情见{}。", "官网：{}", "See {} for more.", "Download it from {} today."],
}


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def resident_id(rng: random.Random, *, valid: bool) -> str:
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 55))
    first17 = rng.choice(REGIONS) + born.strftime("%Y%m%d") + _digits(rng, 3)
    check = id_check_char(first17)
    if not valid:
        check = rng.choice([c for c in "0123456789X" if c != check])
    return first17 + (check.lower() if check == "X" and rng.random() < 0.3 else check)


def bank_card(rng: random.Random, *, valid: bool) -> str:
    prefix, length = rng.choice(CARD_PREFIXES)
    body = prefix + _digits(rng, length - len(prefix) - 1)
    check = next(d for d in "0123456789" if luhn_valid(body + d))
    if not valid:
        check = rng.choice([d for d in "0123456789" if d != check])
    number = body + check
    if rng.random() < 0.3:  # written in groups of four, as on the card
        number = " ".join(number[i:i + 4] for i in range(0, len(number), 4))
    return number


def phone(rng: random.Random, kind: str) -> str:
    if kind == "mobile":
        n = "1" + rng.choice("3456789") + _digits(rng, 9)
        return rng.choice([n, f"+86 {n}", f"{n[:3]}-{n[3:7]}-{n[7:]}", f"{n[:3]} {n[3:7]} {n[7:]}",
                           f"+86-{n[:3]}-{n[3:7]}-{n[7:]}", f"0086{n}", f"(+86){n}"])
    if kind == "landline":
        area = rng.choice(AREAS)
        local = rng.choice("2345678") + _digits(rng, 7 if len(area) == 3 else 6 + rng.randrange(2))
        return rng.choice([f"{area}-{local}", f"({area}){local}", f"{area} {local}", f"+86 {area[1:]} {local}",
                           f"{area}{local}"])
    import phonenumbers as pn

    region = rng.choice(INTL_REGIONS)
    example = pn.example_number_for_type(region, rng.choice([pn.PhoneNumberType.MOBILE, pn.PhoneNumberType.FIXED_LINE]))
    while True:
        national = str(example.national_number)
        candidate = pn.PhoneNumber(country_code=example.country_code,
                                   national_number=int(national[:-3] + _digits(rng, 3)))
        if pn.is_valid_number(candidate):
            return pn.format_number(candidate, pn.PhoneNumberFormat.INTERNATIONAL)


def _value(rng: random.Random, kind: str, i: int) -> str:
    if kind == "phone":
        return phone(rng, ("mobile", "landline", "international")[i % 3])
    if kind == "id_card":
        return resident_id(rng, valid=True)
    if kind == "bank_card":
        return bank_card(rng, valid=True)
    if kind == "email":
        user = rng.choice(["zhang.san", "li_si", "wang.wu88", "chen-ling", "user"]) + _digits(rng, rng.randrange(4))
        return f"{user}@{rng.choice(DOMAINS)}"
    if kind == "ip":
        if i % 3 == 2:
            return str(ipaddress.IPv6Address(rng.getrandbits(128)).compressed)
        return ".".join(str(rng.randrange(1, 255)) for _ in range(4))
    word = rng.choice(WORDS)
    return rng.choice([f"https://www.{word}.com/item/{rng.randrange(10**6)}", f"http://{word}.cn",
                       f"www.{word}.org/a/b?id={rng.randrange(999)}", f"https://{word}.example.com/"])


COUNTS = {"phone": 60, "id_card": 40, "bank_card": 40, "email": 30, "ip": 30, "url": 30}  # 230 valid
LOOKALIKES = {"id_card": 50, "bank_card": 50}  # 100 with a wrong check digit


def generate(seed: int = 0) -> list[dict[str, Any]]:
    """Every item: the sentence, the value in it, its type, and whether it is valid (a look-alike is not)."""
    rng = random.Random(seed)
    items = []
    for kind, n in COUNTS.items():
        for i in range(n):
            value = _value(rng, kind, i)
            items.append({"text": rng.choice(TEMPLATES[kind]).format(value), "value": value, "kind": kind, "valid": True})
    for kind, n in LOOKALIKES.items():
        for _ in range(n):
            value = resident_id(rng, valid=False) if kind == "id_card" else bank_card(rng, valid=False)
            items.append({"text": rng.choice(TEMPLATES[kind]).format(value), "value": value, "kind": kind, "valid": False})
    return items


def evaluate(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Recall and precision on the valid items (a hit: the right type over exactly the value), false flags on the rest."""
    hits, flags, valid, by_kind = 0, 0, 0, {}
    flagged_lookalikes, lookalikes, misses, false = 0, 0, [], []
    for item in items:
        found = find_pii(item["text"])
        if item["valid"]:
            valid += 1
            hit = any(m.kind == item["kind"] and m.text == item["value"] for m in found)
            hits += hit
            flags += len(found)
            k = by_kind.setdefault(item["kind"], {"n": 0, "found": 0})
            k["n"], k["found"] = k["n"] + 1, k["found"] + hit
            if not hit:
                misses.append(item["text"])
            false += [f"{m.kind}: {m.text!r} in {item['text']!r}" for m in found
                      if not (m.kind == item["kind"] and m.text == item["value"])]
        else:
            lookalikes += 1
            if found:
                flagged_lookalikes += 1
                false.append(f"look-alike flagged as {found[0].kind}: {item['text']!r}")
    return {"items": len(items), "valid": valid, "lookalikes": lookalikes, "recall": hits / valid,
            "precision": hits / flags if flags else 1.0, "lookalikes_flagged": flagged_lookalikes,
            "false_flag_rate": flagged_lookalikes / lookalikes, "by_kind": by_kind,
            "chinese": sum(any("\u4e00" <= ch <= "\u9fff" for ch in i["text"]) for i in items),
            "misses": misses[:10], "false_flags": false[:10]}
