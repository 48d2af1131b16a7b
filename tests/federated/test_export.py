"""``sizeup train`` on a federated task and ``sizeup federated export``: the Flower app, its node data, and its
server and client logic run in-process (no Flower) against the simulation."""

from __future__ import annotations

import json
import tomllib
from importlib import resources

import numpy as np
import pytest
import torch

import sizeup
from sizeup.data import load_data
from sizeup.federated.deploy import load_settings
from sizeup.federated.export import FLOWER_VERSION, PACKAGE, export_app
from sizeup.federated.partition import partition_data
from sizeup.task import Task

from fed_helpers import assert_one_line_error, sizeup_cli

pytestmark = pytest.mark.usefixtures("one_thread")


def test_sizeup_train_trains_federatedly_and_reports_rounds_bytes_and_the_spread(cli_run):
    s = cli_run["train"]
    assert s["federated"] is True and s["rounds"] == 2 and s["epochs"] == 2 and s["clients"] == 2
    assert s["bytes_per_round"] == 2 * 2 * s["model_bytes"] and s["bytes_total"] == 2 * s["bytes_per_round"]
    assert len(s["client_test_accuracy"]) == 2 and s["client_test_accuracy_min"] <= s["client_test_accuracy_max"]
    saved = json.loads((cli_run["root"] / "run" / "metrics.json").read_text())
    assert saved["bytes_total"] == s["bytes_total"] and len(saved["history"]) == 2


def test_export_writes_a_flower_app_that_pins_flower_and_carries_the_settings(cli_run):
    app = cli_run["root"] / "app"
    project = tomllib.loads((app / "pyproject.toml").read_text())
    assert f"flwr=={FLOWER_VERSION}" in project["project"]["dependencies"]
    assert f"sizeup[federated]=={sizeup.__version__}" in project["project"]["dependencies"]
    components = project["tool"]["flwr"]["app"]["components"]
    assert components == {"serverapp": f"{PACKAGE}.server_app:app", "clientapp": f"{PACKAGE}.client_app:app"}
    assert project["tool"]["flwr"]["app"]["config"]["rounds"] == 2
    source = resources.files("sizeup.federated.flower_app")
    for name in ("server_app.py", "client_app.py"):
        assert (app / PACKAGE / name).read_text() == source.joinpath(name).read_text()
    settings = load_settings(app / PACKAGE)
    assert settings.family == "mlp" and settings.knobs["width"] == 16 and settings.train.batch_size == 32
    assert settings.federated.clients == 2 and settings.metric == "accuracy"


def test_the_node_data_files_are_the_simulations_shares(cli_run):
    parts = cli_run["root"] / "parts"
    task = Task.from_toml(cli_run["root"] / "task.toml")
    data = load_data(task)
    part = partition_data(data, task.federated, seed=0)
    for i in range(2):
        with np.load(parts / f"client-{i}.npz") as f:
            assert np.array_equal(f["x"], data.train.x[part.train[i]].numpy())
            assert np.array_equal(f["y_test"], data.test.y[part.test[i]].numpy())
    with np.load(parts / "val.npz") as f:
        assert np.array_equal(f["y"], data.val.y.numpy())


def _deploy_in_process(app, parts, rounds: int):
    """What the ServerApp and ClientApps do, with plain calls where Flower would carry the messages."""
    from sizeup.federated.nodes import DeployedClient, DeployedServer

    settings = load_settings(app / PACKAGE)
    clients = [DeployedClient(settings, partition=i, data=str(parts / f"client-{i}.npz"), key_seed=bytes([i]) * 32)
               for i in range(settings.federated.clients)]
    server = DeployedServer(settings, rounds=rounds, out_dir=str(app.parent / "deployed"),
                            eval_data=str(parts / "val.npz"), test_data=str(parts / "test.npz"))
    hello = [c.hello() for c in clients]
    server.join({h["partition-id"]: (100 + h["partition-id"], h["num-examples"], h.get("public-key", b"")) for h in hello})
    for round_ in range(1, rounds + 1):
        plan = server.open_round(round_)
        sent = [clients[c].train(server.global_arrays(), server.client_config(plan, c)) for c in plan.cohort]
        server.close_round(plan, [upload for upload, _ in sent], [report for _, report in sent])
    server.finish()
    server.save({c.partition: c.evaluate(server.global_arrays()) for c in clients})
    return json.loads((app.parent / "deployed" / "summary.json").read_text())


def test_the_deployed_server_and_clients_follow_the_simulation_exactly(cli_run):
    root = cli_run["root"]
    summary = _deploy_in_process(root / "app", root / "parts", rounds=2)
    assert summary["test_accuracy"] == cli_run["train"]["test_accuracy"]
    assert summary["bytes_total"] == cli_run["train"]["bytes_total"]
    assert summary["client_test_accuracy"] == pytest.approx(cli_run["train"]["client_test_accuracy"])
    deployed, simulated = sizeup.load(root / "deployed" / "model"), sizeup.load(root / "run")
    assert all(torch.equal(a, b) for a, b in zip(deployed.state_dict().values(), simulated.state_dict().values()))


def test_a_deployment_with_secure_aggregation_uses_fresh_keys_and_still_matches(cli_run, tmp_path):
    pytest.importorskip("cryptography")
    root = cli_run["root"]
    task = tmp_path / "task.toml"
    task.write_text((root / "task.toml").read_text() + "secure_aggregation = true\n", encoding="utf-8")
    export_app(root / "run", tmp_path / "app", task=task)
    summary = _deploy_in_process(tmp_path / "app", root / "parts", rounds=2)
    assert summary["test_accuracy"] == pytest.approx(cli_run["train"]["test_accuracy"], abs=1e-3)


def test_export_without_a_federated_section_or_a_run_is_refused_in_one_line(cli_run, tmp_path):
    (tmp_path / "plain.toml").write_text('name = "d"\n[data]\nsource = "digits"\n', encoding="utf-8")
    proc = sizeup_cli("federated", "export", cli_run["root"] / "run", "--task", "plain.toml", "--out", "x",
                      cwd=tmp_path)
    assert_one_line_error(proc, "has no [federated] section", "--task")
    with pytest.raises(sizeup.SizeupError, match="nowhere' not found"):
        export_app(tmp_path / "nowhere")


def test_a_second_export_into_the_same_folder_needs_force(cli_run):
    with pytest.raises(sizeup.SizeupError, match="already exists; pass --force"):
        export_app(cli_run["root"] / "run", cli_run["root"] / "app")
