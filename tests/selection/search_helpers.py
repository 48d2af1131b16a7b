"""Small, fast search tasks on real data (digits), shared by the search tests."""

from __future__ import annotations

import sys
from pathlib import Path

SIZEUP = [sys.executable, "-c", "from sizeup.cli import main; main()"]


def write_task(folder: Path, name: str = "tiny", *, families=("linear", "mlp"), constraints: str = "", extra: str = "") -> Path:
    fams = ", ".join(f'"{f}"' for f in families)
    path = folder / f"{name}.toml"
    path.write_text(f"""name = "{name}"
[data]
source = "digits"
[search]
families = [{fams}]
{constraints}
{extra}
""", encoding="utf-8")
    return path


# ----- stand-in families: a linear model on digits' 64 pixels whose forward misbehaves on purpose -------------------

def register_probe_family(name: str, behaviour: str) -> str:
    """Register family ``name`` (image input, no knobs to search) whose training forward ``behaviour`` is "nan" (the
    loss diverges) or "bug" (a KeyError, like a bug in a family). Remove it with ``unregister(name)``."""
    from dataclasses import dataclass

    from torch import nn

    from sizeup.zoo import register

    @dataclass
    class ProbeConfig:
        width: int = 4

    class Probe(nn.Module):
        def __init__(self, cfg, info):
            super().__init__()
            self.lin = nn.Linear(64, info.n_outputs)

        def forward(self, x):
            out = self.lin(x.flatten(1))
            if behaviour == "nan":
                return out * float("nan")
            return {}["missing"] if self.training else out

    register(name, config=ProbeConfig, inputs={"image"}, presets={"base": {}}, description=f"misbehaves: {behaviour}",
             space={})(lambda cfg, info: Probe(cfg, info))
    return name


def unregister(name: str) -> None:
    from sizeup.zoo._registry import _FAMILIES

    _FAMILIES.pop(name, None)
