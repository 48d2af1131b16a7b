"""``sizeup train``: train and measure one model."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table
from rich.text import Text

from sizeup._knobs import parse_assignments
from sizeup.cli._common import emit_json, handle_errors, plain, stderr, stdout

__all__ = ["train"]


@handle_errors
def train(
    task: Path = typer.Argument(..., help="Task file (.toml), e.g. examples/mnist1d.toml."),
    family: str = typer.Option(..., "--family", "-f", help="Model family (see `sizeup families`)."),
    preset: Optional[str] = typer.Option(None, help="Named size: tiny, small, base or large (not with explicit sizes)."),
    width: Optional[int] = typer.Option(None, help="Width: hidden units, channels or embedding size."),
    depth: Optional[int] = typer.Option(None, help="Depth: number of layers or blocks."),
    heads: Optional[int] = typer.Option(None, help="Attention heads (transformer, gpt, seq2seq)."),
    dropout: Optional[float] = typer.Option(None, help="Dropout probability."),
    knob: Optional[list[str]] = typer.Option(None, "--set", "-s", help="Other family knobs, key=value (repeatable), e.g. -s cell=lstm."),
    epochs: Optional[int] = typer.Option(None, help="Maximum epochs (early stopping may end sooner)."),
    time: Optional[str] = typer.Option(None, "--time", help="Training time limit, e.g. 30s or 2m."),
    batch_size: Optional[int] = typer.Option(None, help="Training batch size."),
    lr: Optional[float] = typer.Option(None, help="Peak learning rate."),
    optimizer: Optional[str] = typer.Option(None, help="adamw, adam, rmsprop or sgd."),
    schedule: Optional[str] = typer.Option(None, help="onecycle, cosine or constant."),
    seed: Optional[int] = typer.Option(None, help="Random seed (default: the task's, else 0)."),
    device: Optional[str] = typer.Option(None, help="auto, cpu, cuda, cuda:N or mps [default: the task's [train] device, else auto: the best present]."),
    precision: Optional[str] = typer.Option(None, help="32, bf16-mixed or 16-mixed [default: auto, the fastest numerically safe one for the device and model]."),
    epsilon: Optional[float] = typer.Option(None, help="Train with (epsilon, delta)-DP-SGD (Opacus) at this privacy budget [default: the task's [privacy] epsilon, else no DP]."),
    setting: Optional[list[str]] = typer.Option(None, "--train-set", help="Other training settings, key=value, e.g. --train-set label_smoothing=0.1."),
    out: Optional[Path] = typer.Option(None, help="Output folder [default: runs/<task name>/train-<family>]."),
    force: bool = typer.Option(False, help="Overwrite the files of a previous run in the output folder."),
    nproc: int = typer.Option(1, help="Data-parallel processes (per node) that torchrun starts; DDP on gloo for "
                              "CPUs, NCCL with --device cuda; --batch-size is the global batch, split across them."),
    nnodes: int = typer.Option(1, help="Nodes of a data-parallel run; run the same command on each, with --rdzv-endpoint."),
    rdzv_endpoint: Optional[str] = typer.Option(None, help="HOST:PORT where the nodes of a --nnodes run meet "
                                                "(torchrun's c10d rendezvous)."),
    json_out: bool = typer.Option(False, "--json", help="Print the results as one JSON object on stdout."),
) -> None:
    """Train one model, show its test quality and cost on this device, and save it."""
    from sizeup.task import Task

    # A bad task file or setting fails here, before torch is imported (a task-file error costs no start-up).
    t = Task.from_toml(task)
    knobs = {"width": width, "depth": depth, "heads": heads, "dropout": dropout, **parse_assignments(knob)}
    overrides = {"epochs": epochs, "max_seconds": time, "batch_size": batch_size, "lr": lr, "optimizer": optimizer,
                 "schedule": schedule, "seed": seed, "device": device, "precision": precision,
                 **parse_assignments(setting, option="--train-set")}
    if nproc > 1 or nnodes > 1 or rdzv_endpoint:
        from sizeup.distributed import train_parallel

        ranks_on = "cuda" if (device or "").startswith("cuda") else "cpu"  # NCCL on GPUs, gloo on CPUs
        run = train_parallel(t, family, nproc=nproc, nnodes=nnodes, rdzv_endpoint=rdzv_endpoint, preset=preset,
                             knobs=knobs, out=out, force=force, device=ranks_on,
                             **{k: v for k, v in overrides.items() if k != "device"})
        summary = {**run.summary, "world_size": run.world_size, "backend": run.backend}
    else:
        from sizeup.cli.progress import TrainingProgress
        from sizeup.api import train

        train_model = train
        if epsilon is not None or t.privacy.enabled:
            from sizeup.privacy import train_private

            train_model = functools.partial(train_private, epsilon=epsilon)

        progress = TrainingProgress(f"{family} on {t.data.source}", t.search.metric or "metric")
        result = train_model(t, family, preset=preset, knobs=knobs, out=out, force=force, callbacks=[progress], **overrides)
        summary = result.summary()
    if json_out:
        emit_json(summary)
        return
    stdout.print(_table(summary))
    stderr.print(Text.assemble("saved to ", (summary["out_dir"], "bold"), " (load with sizeup.load)"))


def _table(s: dict) -> Table:
    table = Table(title=plain(s["model"]), show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    for key in [k for k in s if k.startswith("test_")] + [f"val_{s['metric']}"]:
        table.add_row(key, f"{s[key]:.4f}")
    if "baseline" in s:  # language models: the bigram floor next to the model's perplexity
        table.add_row(f"val_perplexity, {s['baseline']['name']}", f"{s['baseline']['val_perplexity']:.4f}")
    table.add_row("params", f"{s['params']:,}")
    table.add_row("FLOPs / sample (forward)", f"{s['flops']:,}")
    unit = "rounds" if s.get("federated") else "epochs"
    table.add_row("train time", f"{s['train_seconds']:.1f} s ({s['epochs']} {unit}, best {s['best_epoch']})")
    threads = s.get("latency_threads")
    table.add_row(f"latency, batch 1 (median{f', {threads} thread' + ('s' if threads != 1 else '') if threads else ''})",
                  f"{s['latency_ms']:.3f} ms (min {s['latency_min_ms']:.3f}, max {s['latency_max_ms']:.3f})")
    table.add_row(f"throughput, batch {s['throughput_batch']}", f"{s['throughput']:,.0f} samples/s")
    table.add_row("peak memory, batch 1", f"{s['memory_mb']:.2f} MB (weights {s['weights_mb']:.2f} MB)")
    if s.get("federated"):  # a federated run: its rounds, traffic and the spread over clients
        table.add_row("federated", f"{s['clients']} clients, {s['partition']}, {s['strategy']}, {s['rounds']} rounds")
        table.add_row("bytes per round / total", f"{s['bytes_per_round']:,.0f} / {s['bytes_total']:,.0f}")
        metric = f"client_test_{s['metric']}"
        if s.get(f"{metric}_min") is not None:
            table.add_row(f"{metric} min / mean / max", f"{s[metric + '_min']:.4f} / {s[metric + '_mean']:.4f} / {s[metric + '_max']:.4f}")
        if s.get("target") is not None:
            table.add_row(f"rounds to val_{s['metric']} {s['target']:g}", str(s["rounds_to_target"] or "not reached"))
        if s.get("epsilon") is not None:
            table.add_row("client-level DP", f"epsilon {s['epsilon']:.3g} at delta {s['delta']:g}")
    if "privacy" in s:
        p = s["privacy"]
        table.add_row("privacy: epsilon spent (target)", f"{p['epsilon']:.3f} ({p['epsilon_target']:g}), delta {p['delta']:g}")
        table.add_row("privacy: accountant, noise", f"{p['accountant']}, noise multiplier {p['noise_multiplier']:.3f}")
        table.add_row("privacy: sampling", f"rate {p['sample_rate']:.4f}, {p['steps']} steps, clip {p['max_grad_norm']:g}")
    table.add_row("stopped", plain(s["stopped"]))
    table.add_row("device", plain(s["device"]))
    if s.get("trained_on"):
        table.add_row("trained on", f"{s['trained_on']}, precision {s.get('precision')}")
    if s.get("load_average"):
        table.add_row("load average (1, 5, 15 min)", ", ".join(f"{x:.2f}" for x in s["load_average"]))
    if s.get("world_size"):
        table.add_row("data-parallel", f"{s['world_size']} ranks ({s['backend']})")
    return table
