"""Secure aggregation with pairwise additive masks (Bonawitz et al. 2017, "Practical Secure Aggregation for
Privacy-Preserving Machine Learning", CCS, section 4, the masking round without dropouts).

Each client turns its weighted update into fixed-point integers modulo 2^64 and adds, for every other client in
the round, a mask it shares with that client: ``+PRG(k_ij)`` if its id is lower, ``-PRG(k_ij)`` if higher. The
pair keys ``k_ij`` come from X25519 key agreement, so the server, which only relays public keys and adds the
vectors it receives, never holds a mask: every upload looks uniformly random to it, and the masks cancel only in
the sum. The sum decodes to the weighted average of the updates within the fixed-point resolution, which
at 2^-56 for values up to 64 lies far below float32's own rounding of the weights: secure aggregation leaves the
training trajectory as plain averaging has it. (A 32-bit ring would halve the upload, but its resolution of
about 1e-7 is coarser than float32's, and those differences grow over the rounds of a chaotic training run.)

Not implemented: recovery when a client drops out mid-round (the protocol's secret sharing of the mask seeds).
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import torch

from sizeup._imports import optional_import

__all__ = ["KeyPair", "fixed_point_bits", "encode", "mask_for", "masked_upload", "add_uploads", "decode", "RING_BITS"]

RING_BITS = 64  # uploads are uint64: 8 bytes a value, twice a float32 update
_RING = 1 << RING_BITS
_UINT, _INT = np.uint64, np.int64


def _crypto():
    x25519 = optional_import("cryptography.hazmat.primitives.asymmetric.x25519", extra="federated",
                             feature="secure aggregation")
    ciphers = optional_import("cryptography.hazmat.primitives.ciphers", extra="federated", feature="secure aggregation")
    return x25519, ciphers


class KeyPair:
    """A client's X25519 key pair; ``seed`` makes it reproducible (the simulation), ``None`` draws a fresh one."""

    def __init__(self, seed: bytes | None = None) -> None:
        x25519, _ = _crypto()
        self._private = (x25519.X25519PrivateKey.generate() if seed is None
                         else x25519.X25519PrivateKey.from_private_bytes(hashlib.sha256(seed).digest()))
        self.public = self._private.public_key().public_bytes_raw()

    def shared(self, peer_public: bytes) -> bytes:
        x25519, _ = _crypto()
        return self._private.exchange(x25519.X25519PublicKey.from_public_bytes(peer_public))


def fixed_point_bits(bound: float) -> int:
    """Fractional bits such that any sum of magnitude up to ``bound`` fits the signed ring with a factor 2 to spare."""
    return RING_BITS - 2 - max(0, math.ceil(math.log2(bound)))


def encode(values: torch.Tensor, *, weight: float, bound: float, bits: int) -> tuple[np.ndarray, int]:
    """``round(clamp(values, +-bound) * weight * 2^bits)`` modulo 2^64, and how many values the clamp changed."""
    clamped = values.double().clamp(-bound, bound)
    changed = int((clamped != values).sum())
    fixed = torch.round(clamped * weight * float(1 << bits)).to(torch.int64).numpy()
    return fixed.view(_UINT), changed  # two's complement: the int64 bits are the value modulo 2^64


def _stream(shared_secret: bytes, round_: int, n: int) -> np.ndarray:
    """A pair's mask for one round: AES-256-CTR keystream under a key derived from the pair's shared secret."""
    _, ciphers = _crypto()
    key = hashlib.sha256(shared_secret + b"sizeup-secagg-round" + round_.to_bytes(8, "big")).digest()
    encryptor = ciphers.Cipher(ciphers.algorithms.AES(key), ciphers.modes.CTR(bytes(16))).encryptor()
    return np.frombuffer(encryptor.update(bytes(8 * n)), dtype=_UINT)


def mask_for(me: int, keys: KeyPair, peers: dict[int, bytes], round_: int, n: int) -> np.ndarray:
    """``sum_{j > me} PRG(k_ij) - sum_{j < me} PRG(k_ij)`` modulo 2^64 over the other clients of the round."""
    mask = np.zeros(n, dtype=_UINT)
    for peer, public in sorted(peers.items()):
        if peer == me:
            continue
        stream = _stream(keys.shared(public), round_, n)
        mask = mask + stream if peer > me else mask - stream  # unsigned arithmetic wraps modulo 2^64
    return mask


def masked_upload(values: torch.Tensor, *, me: int, keys: KeyPair, peers: dict[int, bytes], round_: int,
                  weight: float, bound: float, bits: int) -> tuple[np.ndarray, int]:
    """What a client sends: its encoded, weighted update plus its pairwise masks (and how many values were clamped)."""
    encoded, clamped = encode(values, weight=weight, bound=bound, bits=bits)
    return encoded + mask_for(me, keys, peers, round_, len(encoded)), clamped


def add_uploads(uploads: list[np.ndarray]) -> np.ndarray:
    """All the server does with the uploads: add them modulo 2^64 (the masks cancel here)."""
    total = np.zeros_like(uploads[0])
    for u in uploads:
        total = total + u
    return total


def decode(total: np.ndarray, bits: int) -> torch.Tensor:
    """The ring sum as signed fixed-point numbers -> float64 values."""
    return torch.from_numpy(total.view(_INT).astype(np.float64) / float(1 << bits))
