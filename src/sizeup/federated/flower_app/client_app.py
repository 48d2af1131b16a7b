"""The ClientApp: one data owner. It trains with sizeup's own loop (``sizeup.federated.client``) on its rows only.

Node config (``flower-supernode --node-config``): ``partition-id`` (this owner's number, 0 .. clients-1) and
``data`` (the owner's rows as .npz: ``x``, ``y``, optionally ``x_test``, ``y_test``).
"""

from __future__ import annotations

import os
from pathlib import Path

from flwr.app import ArrayRecord, ConfigRecord, Context, Message, RecordDict
from flwr.clientapp import ClientApp

from sizeup.federated.deploy import load_settings
from sizeup.federated.nodes import DeployedClient

HERE = Path(__file__).resolve().parent
app = ClientApp()


def _client(context: Context) -> DeployedClient:
    # The secure-aggregation key pair stays on this node, in the run's state, across the messages of a run.
    if "secret" not in context.state:
        context.state["secret"] = ConfigRecord({"seed": os.urandom(32)})
    return DeployedClient(load_settings(HERE), partition=int(context.node_config["partition-id"]),
                          data=str(context.node_config["data"]), key_seed=context.state["secret"]["seed"])


def _reply(msg: Message, arrays: list | None, config: dict) -> Message:
    content = RecordDict({"config": ConfigRecord(config)})
    if arrays is not None:
        content["arrays"] = ArrayRecord(arrays)
    return Message(content, reply_to=msg)


@app.query()
def query(msg: Message, context: Context) -> Message:
    return _reply(msg, None, _client(context).hello())


@app.train()
def train(msg: Message, context: Context) -> Message:
    upload, report = _client(context).train(msg.content["arrays"].to_numpy_ndarrays(), dict(msg.content["config"]))
    return _reply(msg, [upload], report)


@app.evaluate()
def evaluate(msg: Message, context: Context) -> Message:
    return _reply(msg, None, _client(context).evaluate(msg.content["arrays"].to_numpy_ndarrays()))
