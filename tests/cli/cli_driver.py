"""Run many ``sizeup`` command lines through the real CLI entry point in ONE Python process.

Usage: ``python cli_driver.py CASES.json RESULTS.json``. CASES is a list of ``{"id", "argv", "cwd"}``.
For each case the driver sets ``sys.argv``, changes into ``cwd``, swaps stdout and stderr for buffers
and calls :func:`sizeup.cli.main`, exactly what the ``sizeup`` console script does. ``SystemExit``
gives the exit code; any other exception is printed as Python would print it (a traceback on stderr,
exit code 1), so a case that would crash the real command fails its test here too.

Why one process: a fresh interpreter pays Python, torch and scikit-learn start-up (several seconds on
2 cores) for each case; driving 60+ cases from one process costs that once. The separate-process
behaviour (exit code, nothing imported before the task file is read) is checked by a few real
subprocesses in ``test_bad_inputs.py``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
import traceback


def run_case(argv: list[str], cwd: str) -> dict:
    from sizeup.cli import main

    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    code: int | str | None = 0
    start = time.perf_counter()
    try:
        os.chdir(cwd)
        sys.argv = ["sizeup", *argv]
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
            except SystemExit as exc:
                code = exc.code
            except BaseException:  # noqa: BLE001 - what the interpreter would do with an uncaught error
                traceback.print_exc()
                code = 1
    finally:
        os.chdir(here)
    code = 0 if code is None else code if isinstance(code, int) else 1
    return {"rc": code, "stdout": out.getvalue(), "stderr": err.getvalue(),
            "seconds": round(time.perf_counter() - start, 3)}


def main() -> None:
    cases_path, results_path = sys.argv[1], sys.argv[2]
    with open(cases_path, encoding="utf-8") as fh:
        cases = json.load(fh)
    results = {case["id"]: run_case(case["argv"], case["cwd"]) for case in cases}
    with open(results_path, "w", encoding="utf-8") as fh:
        json.dump(results, fh, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
