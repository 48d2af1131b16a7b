"""Secure aggregation: the masks cancel only in the sum, one upload tells the server nothing, and a run with it
equals plain averaging within the fixed-point resolution."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sizeup.federated import fit_federated
from sizeup.federated.aggregation import VALUE_BOUND, combine, fixed_point_bits, prepare_upload

from fed_helpers import local_config, spec, tiny_model

secagg = pytest.importorskip("sizeup.federated.secagg")
pytest.importorskip("cryptography", reason="secure aggregation needs cryptography (the federated extra)")
pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def cohort():
    """Four clients with their key pairs, updates and weights, and what each uploads in round 3."""
    gen = torch.Generator().manual_seed(0)
    ids, n = [0, 2, 5, 7], 20_000
    keys = {i: secagg.KeyPair(seed=f"test-{i}".encode()) for i in ids}
    peers = {i: k.public for i, k in keys.items()}
    updates = {i: torch.randn(n, generator=gen, dtype=torch.float64) * 0.01 for i in ids}
    weights = {i: w for i, w in zip(ids, [0.1, 0.2, 0.3, 0.4])}
    bits = fixed_point_bits(list(weights.values()), None)
    uploads = {i: prepare_upload(updates[i], weight=weights[i], clip=None,
                                 masking={"me": i, "keys": keys[i], "peers": peers, "round": 3, "bits": bits})[0]
               for i in ids}
    return {"ids": ids, "updates": updates, "weights": weights, "bits": bits, "uploads": uploads}


def test_the_masked_uploads_sum_to_the_weighted_average_within_the_resolution(cohort):
    ids, bits = cohort["ids"], cohort["bits"]
    plain = sum((cohort["weights"][i] * cohort["updates"][i]).float().double() for i in ids)  # float32 uploads
    total = combine(list(cohort["uploads"].values()), n_values=len(plain), plan=None, bits=bits,
                    generator=torch.Generator())
    assert (total - plain).abs().max().item() <= len(ids) * 2.0 ** -(bits + 1)
    assert bits >= 50  # resolution far below float32's rounding of the weights


def test_the_server_cannot_read_one_clients_update_from_its_upload(cohort):
    bits = cohort["bits"]
    update, upload = cohort["updates"][2], cohort["uploads"][2]
    alone = secagg.decode(upload, bits)  # what decoding a single upload gives
    scale = (cohort["weights"][2] * update).abs().median().item()
    assert (alone - cohort["weights"][2] * update).abs().median().item() > 1e4 * scale  # nowhere near the update
    assert abs(np.corrcoef(alone.numpy(), update.numpy())[0, 1]) < 0.05
    bits_set = np.unpackbits(upload.view(np.uint8)).mean()
    assert bits_set == pytest.approx(0.5, abs=0.01)  # its bits look like coin flips
    # without one client's upload the others do not decode either: their masks do not cancel
    partial = secagg.decode(secagg.add_uploads([cohort["uploads"][i] for i in (0, 5, 7)]), bits)
    rest = sum(cohort["weights"][i] * cohort["updates"][i] for i in (0, 5, 7))
    assert (partial - rest).abs().median().item() > 1e4 * scale


def test_the_same_update_is_masked_differently_in_another_round(cohort):
    ids = cohort["ids"]
    keys = {i: secagg.KeyPair(seed=f"test-{i}".encode()) for i in ids}
    peers = {i: k.public for i, k in keys.items()}
    again = secagg.masked_upload(cohort["updates"][2], me=2, keys=keys[2], peers=peers, round_=4,
                                 weight=cohort["weights"][2], bound=VALUE_BOUND, bits=cohort["bits"])[0]
    assert (again != cohort["uploads"][2]).mean() > 0.999


def test_values_beyond_the_bound_are_clamped_and_counted():
    encoded, clamped = secagg.encode(torch.tensor([0.5, 100.0, -70.0]), weight=1.0, bound=VALUE_BOUND, bits=20)
    assert clamped == 2
    assert secagg.decode(encoded, 20).tolist() == [0.5, 64.0, -64.0]


def test_a_run_with_secure_aggregation_equals_plain_averaging(plain_run, digits):
    model, result = plain_run
    masked_model = tiny_model(digits)
    masked = fit_federated(masked_model, digits, local_config(), spec(secure_aggregation=True))
    for a, b in zip(model.state_dict().values(), masked_model.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6)
    assert abs(masked.best_val - result.best_val) <= 0.001  # within 0.1 point
    assert masked.extra["secure_aggregation"] and masked.extra["clamped_values"] == 0
    # uploads are 64-bit fixed point: 8 bytes a value up, the float32 state down
    values = sum(p.numel() for p in model.parameters())
    assert masked.extra["bytes_per_round"] == 2 * (4 * values + 8 * values)
