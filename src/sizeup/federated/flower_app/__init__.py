"""The Flower app that ``sizeup federated export`` writes: a ServerApp and a ClientApp, copied as they are here.

They import Flower, so nothing in sizeup imports them; they run inside ``flwr-serverapp`` / ``flwr-clientapp``.
"""
