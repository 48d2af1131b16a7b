"""PII recognizers and masking: real-format values are found and masked, look-alikes whose check digits are wrong
are left alone, and ``[data] mask_pii`` masks text before any vocabulary is built."""

from __future__ import annotations

from pathlib import Path

import pytest

from sizeup.data import load_data
from sizeup.data.pii import PLACEHOLDERS, find_pii, id_check_char, luhn_valid, mask_text, mask_texts
from sizeup.errors import SizeupError
from sizeup.task import Task

# The GB 11643 sample number and card numbers from the networks' published test ranges
VALID = [
    ("phone", "手机13800138000请回电", "13800138000"),
    ("phone", "call +86 138 0013 8000 now", "+86 138 0013 8000"),
    ("phone", "座机：010-62345678。", "010-62345678"),
    ("phone", "电话(0755)88889999", "(0755)88889999"),
    ("phone", "London office +44 20 7946 0958.", "+44 20 7946 0958"),
    ("id_card", "身份证11010519491231002X。", "11010519491231002X"),
    ("id_card", "ID 11010519491231002x.", "11010519491231002x"),
    ("email", "邮箱zhang.san@example.com.cn，谢谢", "zhang.san@example.com.cn"),
    ("bank_card", "Visa 4111111111111111 expired", "4111111111111111"),
    ("bank_card", "卡号 6222 0212 3456 7890 128，", "6222 0212 3456 7890 128"),
    ("ip", "服务器192.168.1.20宕机", "192.168.1.20"),
    ("ip", "地址2001:db8::8a2e:370:7334的", "2001:db8::8a2e:370:7334"),
    ("url", "详情见https://www.example.com/a?b=1。", "https://www.example.com/a?b=1"),
    ("url", "访问www.shanxilcc.com期待您的光临", "www.shanxilcc.com"),
]
LOOKALIKES = [
    "身份证110105194912310021",  # the sample ID with its check character changed
    "ID 110105194913310023",  # month 13: no such birth date
    "card 4111111111111112",  # Luhn fails
    "卡号6222021234567890127",  # Luhn fails
    "版本 999.1.1.1 发布", "时间 12:30:45，注意::", "订单号 2024120100001 金额 1380.00 元", "邮编 100080",
]


@pytest.mark.parametrize(("kind", "text", "value"), VALID, ids=[f"{k}-{v}" for k, _, v in VALID])
def test_each_recognizer_finds_its_value_exactly(kind, text, value):
    assert [(m.kind, m.text) for m in find_pii(text)] == [(kind, value)]


@pytest.mark.parametrize("text", LOOKALIKES)
def test_look_alikes_and_ordinary_numbers_are_not_flagged(text):
    assert find_pii(text) == []


def test_check_digits_follow_the_standards():
    assert id_check_char("11010519491231002") == "X"  # GB 11643-1999's worked example
    assert id_check_char("44052418800101001") == "4"
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")  # ISO/IEC 7812-1's example


def test_masking_replaces_each_value_and_counts_before_and_after():
    texts = [t for _, t, _ in VALID] + ["nothing to see here"]
    masked, counts = mask_texts(texts)
    assert counts.texts == len(texts) and counts.texts_changed == len(VALID)
    assert counts.before == {"phone": 5, "id_card": 2, "email": 1, "bank_card": 2, "ip": 2, "url": 2}
    assert set(counts.after.values()) == {0}
    for (kind, text, value), new in zip(VALID, masked):
        assert value not in new and PLACEHOLDERS[kind] in new
    assert masked[-1] == "nothing to see here"


def test_only_the_requested_types_are_masked():
    text = "mail a@b.io or call 13800138000"
    assert mask_text(text, ["email"])[0] == "mail <EMAIL> or call 13800138000"
    with pytest.raises(SizeupError, match="unknown PII type 'ssn'"):
        mask_text(text, ["ssn"])


def test_a_url_holding_an_ip_is_one_url():
    assert [m.kind for m in find_pii("see http://10.0.0.1:8080/admin now")] == ["url"]


def _text_task(tmp_path: Path, mask: str) -> Task:
    rows = ["text,label"] + [f'"订单{i} 请联系 zzqq{i}@example.com 或 1380013{i:04d}",{i % 2}' for i in range(40)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "t.toml").write_text(f'name = "t"\n[data]\nsource = "t.csv"\ntext = "text"\ntokenizer = "word"\n{mask}\n',
                                     encoding="utf-8")
    return Task.from_toml(tmp_path / "t.toml")


def test_mask_pii_masks_a_text_column_before_the_vocabulary_is_built(tmp_path):
    plain = load_data(_text_task(tmp_path, ""))
    assert any(tok.startswith("zzqq") for tok in plain.info.vocab)
    bundle = load_data(_text_task(tmp_path, 'mask_pii = ["email", "phone"]'))
    assert not any(tok.startswith(("zzqq", "1380013")) for tok in bundle.info.vocab)
    assert "email" in bundle.info.vocab  # the placeholder <EMAIL>, as the word tokenizer splits it
    assert bundle.info.notes["pii"]["before"] == {"email": 40, "phone": 40}
    assert bundle.info.notes["pii"]["after"] == {"email": 0, "phone": 0}


def test_mask_pii_masks_a_corpus(tmp_path):
    (tmp_path / "c.txt").write_text("写信给 abc@example.com 或致电 13800138000。\n" * 60, encoding="utf-8")
    (tmp_path / "c.toml").write_text('name = "c"\n[data]\nsource = "c.txt"\ntask = "language-modeling"\n'
                                     'block_size = 16\nmask_pii = ["email", "phone"]\n', encoding="utf-8")
    bundle = load_data(Task.from_toml(tmp_path / "c.toml"))
    assert "@" not in bundle.info.vocab and bundle.info.notes["pii"]["before"] == {"email": 60, "phone": 60}


def test_mask_pii_is_validated_and_needs_a_text_column(tmp_path):
    base = {"name": "d", "data": {"source": "digits"}}
    with pytest.raises(SizeupError, match=r"\[data\] mask_pii.0: input should be 'phone', 'id_card'.*got 'ssn'"):
        Task.from_dict({**base, "data": {"source": "digits", "mask_pii": ["ssn"]}})
    with pytest.raises(SizeupError, match="no text column"):
        load_data(Task.from_dict({**base, "data": {"source": "digits", "mask_pii": ["email"]}}))
