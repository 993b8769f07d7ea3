"""The long fuzzing run, by hand: every parser entry point of ``tests/hostile/test_fuzz.py`` for
``--examples`` examples or ``--seconds`` seconds each, in batches with fresh random seeds, so one
failure does not end the run. Prints, per test, the parser calls made per entry point and every
distinct failure (exception, where it was raised, the shrunk input and a ``@reproduce_failure``
blob), then a summary. Exit status 1 when anything failed.

    .venv/bin/python benchmarks/fuzz_parsers.py --examples 5000 --seconds 600
    .venv/bin/python benchmarks/fuzz_parsers.py --only image --only weight --examples 3000

The per-example budgets are the test module's (``MODELHUB_FUZZ_SECONDS``, ``MODELHUB_FUZZ_MB``,
``MODELHUB_FUZZ_RSS_MB``). Call counts include the replays hypothesis makes while shrinking a
failure.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _where(err: BaseException) -> str:
    """The deepest frame of the project (else of the tests) that the exception passed through."""
    frames = traceback.extract_tb(err.__traceback__)
    for prefix in ("modelhub_jupyter", "tests"):
        mine = [f for f in frames if Path(f.filename).resolve().is_relative_to(ROOT / prefix)]
        if mine:
            frame = mine[-1]
            return f"{Path(frame.filename).resolve().relative_to(ROOT)}:{frame.lineno} ({frame.name})"
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"


def _failures(err: BaseException) -> list[BaseException]:
    if isinstance(err, BaseExceptionGroup):
        return [leaf for sub in err.exceptions for leaf in _failures(sub)]
    return [err]


def _describe(err: BaseException, limit: int) -> str:
    first = " ".join(str(err).split())[:300] or "(no message)"
    notes = "\n".join(getattr(err, "__notes__", []))
    if len(notes) > limit:
        notes = notes[:limit] + f"... ({len(notes) - limit:,} more characters)"
    return f"{type(err).__name__}: {first}\n      at {_where(err)}\n" + "".join(
        f"      | {line}\n" for line in notes.splitlines()
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=2000, help="examples per test (default 2000)")
    parser.add_argument("--seconds", type=float, default=300.0, help="time limit per test (default 300)")
    parser.add_argument("--batch", type=int, default=200, help="examples per hypothesis run (default 200)")
    parser.add_argument("--only", action="append", default=[], help="run tests whose name contains this")
    parser.add_argument("--seed", type=int, default=None, help="seed of the batch seeds (default: random)")
    parser.add_argument("--no-shrink", action="store_true", help="report failures unshrunk (much faster)")
    parser.add_argument("--note-chars", type=int, default=3000, help="characters of each shrunk input shown")
    args = parser.parse_args()

    os.environ["MODELHUB_FUZZ_EXAMPLES"] = str(args.batch)  # read when the test module is imported
    if args.no_shrink:
        os.environ["MODELHUB_FUZZ_SHRINK"] = "0"
    from hypothesis import seed

    from tests.hostile import test_fuzz

    tests = {
        name: fn
        for name, fn in vars(test_fuzz).items()
        if name.startswith("test_") and callable(fn) and (not args.only or any(o in name for o in args.only))
    }
    master = random.Random(args.seed)
    print(
        f"fuzzing {len(tests)} tests: up to {args.examples:,} examples or {args.seconds:g} s each, "
        f"batches of {args.batch}; per example {test_fuzz.SECONDS:g} s, {test_fuzz.MEGABYTES:g} MB traced, "
        f"{test_fuzz.RSS_MB:g} MB resident",
        flush=True,
    )
    summary: list[tuple[str, Counter[str], int, float]] = []
    for name, fn in tests.items():
        share = fn._hypothesis_internal_use_settings.max_examples / args.batch
        wanted = max(1, int(args.examples * share))
        before = Counter(test_fuzz.CALLS)
        start = time.monotonic()
        found: dict[tuple[str, str], BaseException] = {}
        done = 0
        while done < wanted and time.monotonic() - start < args.seconds:
            batch_seed = master.getrandbits(64)
            seed(batch_seed)(fn)
            try:
                fn()
            except KeyboardInterrupt:
                raise
            except BaseException as err:  # noqa: BLE001 - every failure is reported, the run goes on
                for leaf in _failures(err):
                    key = (type(leaf).__name__, _where(leaf))
                    if key not in found:
                        found[key] = leaf
                        print(f"\n[{name}] new failure (batch seed {batch_seed}):\n    {_describe(leaf, args.note_chars)}",
                              flush=True)  # fmt: skip
            done += fn._hypothesis_internal_use_settings.max_examples
        calls = Counter(test_fuzz.CALLS)
        calls.subtract(before)
        calls = +calls
        elapsed = time.monotonic() - start
        shown = ", ".join(f"{entry} {n:,}" for entry, n in calls.most_common())
        print(f"{name}: {elapsed:.0f} s, calls: {shown}; failures: {len(found)}", flush=True)
        summary.append((name, calls, len(found), elapsed))
    print("\nsummary (parser calls per entry point, distinct failures):")
    for name, calls, failures, elapsed in summary:
        per_entry: Counter[str] = Counter()  # "pipeline.build (image)" and "(python)" are one entry point
        for entry, n in calls.items():
            per_entry[entry.split(" (")[0]] += n
        top = max(per_entry.values(), default=0)
        print(f"  {name:<36} {top:>8,} examples  {failures:>3} failures  {elapsed:>6.0f} s")
    return 1 if any(f for _, _, f, _ in summary) else 0


if __name__ == "__main__":
    sys.exit(main())
