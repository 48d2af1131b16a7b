"""``sizeup generate``: continue a prompt with a trained language model (or decode with a seq2seq model)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from sizeup.cli._common import emit_json, handle_errors, stderr, stdout

__all__ = ["generate"]


@handle_errors
def generate(
    run: Path = typer.Argument(..., help="A search or train run folder (uses best/ when there is one), or a saved model folder."),
    prompt: str = typer.Option(..., "--prompt", "-p", help="Text to continue (seq2seq: the source to decode)."),
    max_new_tokens: int = typer.Option(50, "--max-new-tokens", "-n", help="How many tokens to add."),
    temperature: float = typer.Option(1.0, help="Sampling temperature; 0 picks the most likely token (greedy)."),
    top_k: Optional[int] = typer.Option(None, "--top-k", help="Sample only among the k most likely tokens."),
    seed: Optional[int] = typer.Option(None, help="Random seed for sampling (default 0)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Re-read the whole context each step (slower; for checking)."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as one JSON object on stdout."),
) -> None:
    """Sample text from a language model trained by sizeup (gpt or rnn), with a key/value cache."""
    from sizeup.generation import generate as run_generate

    result = run_generate(run, prompt, max_new_tokens=max_new_tokens, temperature=temperature, top_k=top_k,
                          seed=seed, cache=not no_cache)
    if result.unknown:
        stderr.print(f"note: not in the model's vocabulary, read as <unk>: {' '.join(map(repr, result.unknown))}",
                     highlight=False, markup=False)
    if json_out:
        emit_json(result.to_dict())
        return
    stdout.print(result.text, highlight=False, markup=False)
    stderr.print(f"{len(result.tokens)} tokens, {result.method}, {'with' if result.cache else 'no'} cache, "
                 f"{result.tokens_per_second:,.0f} tokens/s", highlight=False, markup=False)
