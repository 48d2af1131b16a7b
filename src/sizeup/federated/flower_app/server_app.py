"""The ServerApp: sizeup's federated server (``sizeup.federated.server``) with Flower carrying the messages.

Run config (``[tool.flwr.app.config]`` in pyproject.toml, or ``flwr run --run-config``): ``rounds``,
``out-dir`` (results: history.json, summary.json and the final model, loadable with ``sizeup.load``),
``eval-data`` (validation rows as .npz, to keep the best round as the simulation does), ``test-data``
(test rows as .npz, for the final quality), ``timeout`` (seconds to wait for nodes and replies).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from flwr.app import ArrayRecord, ConfigRecord, Context, Message, RecordDict
from flwr.serverapp import Grid, ServerApp

from sizeup.federated.deploy import load_settings
from sizeup.federated.nodes import DeployedServer

HERE = Path(__file__).resolve().parent
app = ServerApp()


def _wait_for_nodes(grid: Grid, count: int, timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    while True:
        nodes = list(grid.get_node_ids())
        if len(nodes) >= count or time.monotonic() > deadline:
            return nodes
        time.sleep(0.5)


def _ask(grid: Grid, nodes: list[int], kind: str, contents: list[RecordDict], timeout: float) -> list[Message]:
    messages = [Message(content, dst_node_id=node, message_type=kind) for node, content in zip(nodes, contents)]
    replies = list(grid.send_and_receive(messages, timeout=timeout))
    failed = [r for r in replies if r.has_error()]
    if failed or len(replies) < len(messages):
        reason = failed[0].error.reason if failed else "no reply before the timeout"
        raise RuntimeError(f"{kind}: {len(replies) - len(failed)} of {len(messages)} nodes answered ({reason})")
    return replies


@app.main()
def main(grid: Grid, context: Context) -> None:
    config = context.run_config
    timeout = float(config["timeout"])
    server = DeployedServer(load_settings(HERE), rounds=int(config["rounds"]), out_dir=str(config["out-dir"]),
                            eval_data=str(config["eval-data"]), test_data=str(config["test-data"]))
    nodes = _wait_for_nodes(grid, server.clients, timeout)
    hello = _ask(grid, nodes, "query", [RecordDict({"config": ConfigRecord({"ask": "partition"})}) for _ in nodes], timeout)
    members = {int(r.content["config"]["partition-id"]): (r.metadata.src_node_id, int(r.content["config"]["num-examples"]),
                                                          bytes(r.content["config"].get("public-key", b"")))
               for r in hello}
    server.join(members)
    for round_ in range(1, server.rounds + 1):
        plan = server.open_round(round_)
        contents = [RecordDict({"arrays": ArrayRecord(server.global_arrays()),
                                "config": ConfigRecord(server.client_config(plan, client))}) for client in plan.cohort]
        replies = _ask(grid, [members[c][0] for c in plan.cohort], "train", contents, timeout) if plan.cohort else []
        by_client = {int(r.content["config"]["partition-id"]): r for r in replies}
        uploads = [by_client[c].content["arrays"].to_numpy_ndarrays()[0] for c in plan.cohort]
        reports = [dict(by_client[c].content["config"]) for c in plan.cohort]
        server.close_round(plan, [np.asarray(u) for u in uploads], reports)
    server.finish()
    final = [RecordDict({"arrays": ArrayRecord(server.global_arrays()), "config": ConfigRecord({"ask": "evaluate"})})
             for _ in members]
    replies = _ask(grid, [m[0] for m in members.values()], "evaluate", final, timeout)
    server.save({int(r.content["config"]["partition-id"]): dict(r.content["config"]) for r in replies})
