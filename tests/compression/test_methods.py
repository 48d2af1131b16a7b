"""Method strings are validated once, with one-line errors that say what would work."""

from __future__ import annotations

import pytest

from sizeup import SizeupError, Task
from sizeup.compression import parse_method


def test_method_strings_parse_into_name_ratio_and_options():
    assert parse_method("int8").name == "int8"
    prune = parse_method("prune:0.5,epochs=2")
    assert (prune.name, prune.ratio, prune.options, prune.slug) == ("prune", 0.5, {"epochs": 2}, "prune-0.5-epochs-2")
    distill = parse_method("distill:family=mlp,width=32")
    assert distill.options == {"family": "mlp", "width": 32} and not distill.quantized


@pytest.mark.parametrize("text, words", [("int9", "unknown compression method"), ("prune", "needs a ratio"),
                                         ("prune:1.5", "fraction"), ("int8:fast=1", "unknown option"),
                                         ("prune:0.5,speed=2", "unknown option")])
def test_bad_method_strings_are_refused_with_the_fix(text, words):
    with pytest.raises(SizeupError, match=words):
        parse_method(text)


def test_search_compress_key_is_validated_in_the_task_file():
    task = Task.from_dict({"name": "t", "data": {"source": "digits"}, "search": {"compress": ["int8", "prune:0.5"]}})
    assert task.search.compress == ["int8", "prune:0.5"]
    with pytest.raises(SizeupError, match=r"\[search\] compress.*unknown compression method 'int3'"):
        Task.from_dict({"name": "t", "data": {"source": "digits"}, "search": {"compress": ["int3"]}})
