"""``sizeup mask FILE --column C``: a masked copy, the original untouched, one-line refusals (the CLI, run for real)."""

from __future__ import annotations

import json

import pytest

from cli_helpers import run
from sizeup.data.mask_file import mask_file
from sizeup.errors import SizeupError

TABLE = 'id,note,phone\n007,"写信给 li.si@example.com 或打 13800138000",+86 138 0013 8000\n8,no pii here,\n'


def test_mask_writes_a_masked_copy_and_never_touches_the_original(tmp_path):
    src = tmp_path / "people.csv"
    src.write_text(TABLE, encoding="utf-8")
    before = src.read_bytes()
    proc = run("mask", src, "--column", "note", "--column", "phone", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["before"]["email"] == 1 and out["before"]["phone"] == 2 and set(out["after"].values()) == {0}
    assert src.read_bytes() == before
    masked = (tmp_path / "people.masked.csv").read_text(encoding="utf-8")
    assert "li.si" not in masked and "13800138000" not in masked and "<EMAIL>" in masked and "<PHONE>" in masked
    assert masked.splitlines()[1].startswith("007,")  # columns that are not masked come back as written


def test_mask_refuses_the_original_an_existing_output_and_unknown_columns(tmp_path):
    src = tmp_path / "people.csv"
    src.write_text(TABLE, encoding="utf-8")
    for kwargs, words in (({"columns": ["note"], "out": tmp_path / "." / "people.csv"}, "never overwrites"),
                          ({"columns": ["nope"]}, "column 'nope' not found; columns are: id, note, phone"),
                          ({"columns": ["note"], "types": ["ssn"]}, "unknown PII type 'ssn'"),
                          ({}, "name the text column")):
        with pytest.raises(SizeupError, match=words):
            mask_file(src, **kwargs)
    assert src.read_text(encoding="utf-8") == TABLE
    (tmp_path / "people.masked.csv").write_text("mine", encoding="utf-8")
    with pytest.raises(SizeupError, match="--force"):
        mask_file(src, columns=["note"])
    assert (tmp_path / "people.masked.csv").read_text(encoding="utf-8") == "mine"
    mask_file(src, columns=["note"], force=True)
    assert "<EMAIL>" in (tmp_path / "people.masked.csv").read_text(encoding="utf-8")


def test_mask_masks_every_line_of_a_text_file(tmp_path):
    src = tmp_path / "notes.txt"
    src.write_text("IP 10.1.2.3\n身份证11010519491231002X\n", encoding="utf-8")
    result = mask_file(src, types=["ip", "id_card"], out=tmp_path / "clean.txt")
    assert (tmp_path / "clean.txt").read_text(encoding="utf-8") == "IP <IP>\n身份证<ID_CARD>\n"
    assert result.counts["before"] == {"ip": 1, "id_card": 1}
    with pytest.raises(SizeupError, match="no columns"):
        mask_file(src, columns=["x"], out=tmp_path / "other.txt")
