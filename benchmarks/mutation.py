#!/usr/bin/env python3
"""Mutation testing of the core modules with mutmut (issue #19). Not a test.

For each module, a scratch copy of the repository is made under ``build/mutation/<module>/``,
mutmut's configuration (``[tool.mutmut]``: the module to mutate, the tests that cover it) is
appended to that copy's ``pyproject.toml``, and ``mutmut run`` is started there (mutmut 3 copies
the package into ``mutants/`` with every mutant behind a switch and runs, for each mutant, the
tests that call the mutated function). Prints, from one run: killed/total per module, the
survivors by name (their diffs go to ``build/mutation/<module>/survivors.txt``) and the wall
time. Goal: at least 90 % killed on each module; the whole run within 60 minutes on 2 cores.

    python benchmarks/mutation.py                                   # the four modules, 2 workers
    python benchmarks/mutation.py --module xl_addin/rules/ratios.py --workers 1

The survivors of a run are listed in ``docs/mutants.md``, each killed by a test since or marked
equivalent with the reason. mutmut needs ``fork`` (Linux, macOS; on Windows run it in WSL).
"""

from __future__ import annotations

import argparse
import fnmatch
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "mutation"

# The module mutated and the tests that cover it (mutmut then runs, for each mutant, only those of
# these tests that call the mutated function in the test process).
MODULES: dict[str, list[str]] = {
    "xl_addin/rules/ratios.py": [
        "tests/test_ratios.py", "tests/test_rules.py", "tests/test_rules_property.py", "tests/test_mistakes_caught.py",
    ],
    # test_rules_property.py (hypothesis: 60 workbooks a run), test_fill_read.py, test_tamper.py and
    # test_mistakes_caught.py (a whole merge in its module fixture) are left out: each mutant would pay for them
    "xl_addin/rules/engine.py": ["tests/test_mutants_engine.py", "tests/test_rules.py"],
    # test_merge.py and test_mistakes_caught.py are left out: their module fixtures (whole merges, feedback
    # included) would be rebuilt for every mutant; the file below reads real returned workbooks and calls
    # aggregate() directly (the `same` flag of test_mistakes_caught is checked there too)
    "xl_addin/merge/aggregate.py": ["tests/test_mutants_aggregate.py"],
    # test_narrative.py whole (its example reports are the seeds' own words), but for the tests of the
    # report sheet, the Word file and the port (narrative/sheet.py, docx.py: not the writer's words),
    # deselected below; test_mistakes_caught.py (a whole merge) is left out
    "xl_addin/narrative/writer.py": ["tests/test_mutants_writer.py", "tests/test_mutants_writer_figures.py",
                                     "tests/test_mutants_writer_frame.py", "tests/test_mutants_writer_summary.py",
                                     "tests/test_narrative.py"],
}
# The modules `mypy` checks in scripts/test.sh (pyproject's [tool.mypy] files): the test command
# rejects a mutant mypy rejects, so mutmut's type-check filter counts it as caught ("caught by type check")
TYPE_CHECKED = {"xl_addin/rules/ratios.py", "xl_addin/rules/engine.py", "xl_addin/merge/aggregate.py",
                "xl_addin/narrative/writer.py"}
# Extra pytest arguments of a module's run: the tests of the report sheet, the Word file and the port
# (the PDF rendering test among them) check the layout, not the writer's words, and cost up to 6 s
# each time a mutant of the writer survives the other tests.
NOT_THE_WRITER = ("sheet_goes_through_the_port_in_a_few_bulk_calls", "a_values_only_port_gets_the_text_and_the_digest",
                  "hand_edited_sheet_is_refused_unless_forced", "sheet_layout_round_trip_and_meta_digest",
                  "docx_round_trip", "text_alone_writes_nothing", "bad_output_choices_are_refused")
PYTEST_ARGS: dict[str, list[str]] = {"xl_addin/narrative/writer.py": [
    "-m", "not libreoffice",
    *(arg for t in NOT_THE_WRITER for arg in ("--deselect", f"tests/test_narrative.py::test_{t}"))]}
# What a scratch copy leaves out (the virtual environment and what runs make).
SKIP = {".git", ".venv", "build", "dist", "mutants", "demo-output", ".hypothesis", ".pytest_cache", "__pycache__"}
RECHECK_SECONDS = 300  # a timed-out mutant's tests, run again alone: what "no limit" means in practice
# a mutant that makes the tests run past their limit is caught too, and one mypy rejects
KILLED = {"killed", "timeout", "caught by type check"}
LINE = re.compile(r"^\s+(\S+): (.+)$")
PREBUILD = True  # --no-prebuild: every mutant's process builds the tests' inputs itself (the old way)


def scratch_copy(module: str, tests: list[str] | None = None) -> Path:
    """A fresh copy of the repository for one module's run, with mutmut's configuration."""
    target = WORK / module.replace("/", "_").removesuffix(".py")
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(ROOT, target, ignore=lambda _d, names: [n for n in names if n in SKIP or n.endswith(".egg-info")])
    top = sorted(p.name for p in target.iterdir() if p.name not in ("xl_addin", "tests", "pyproject.toml"))
    config = {
        "source_paths": ["xl_addin"],
        "only_mutate": [module],
        "pytest_add_cli_args_test_selection": tests or MODULES[module],
        "pytest_add_cli_args": ["-p", "no:cacheprovider", *PYTEST_ARGS.get(module, [])],
        "also_copy": top,  # the definition data, docs and scripts the tests read next to the package
        "use_git_change_detection": False,
        # one fork server imports pytest, the package and the tests once; each mutant forks from it
        "process_isolation": "forkserver",
    }
    if module in TYPE_CHECKED:  # mypy, as scripts/test.sh runs it, over the mutants: a mutant it rejects is caught
        config["type_check_command"] = ["mypy", "--output", "json", "--config-file", str(target / "pyproject.toml"),
                                        "--no-incremental", "--no-warn-unused-ignores", module]
    with (target / "pyproject.toml").open("a", encoding="utf-8") as f:
        f.write("\n[tool.mutmut]\n")
        for key, value in config.items():
            f.write(f"{key} = {json.dumps(value)}\n")
    return target


def mutmut(folder: Path, *args: str, log: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # the remote-engine tests need one (see scripts/test.sh)
    env.pop("PYTHONPATH", None)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # mypy of this environment
    env.pop("CCHC_PREBUILD", None)
    if PREBUILD:  # the tests' inputs built once in the fork server (tests/prebuild.py)
        env["CCHC_PREBUILD"] = str(folder / "prebuilt")
    cmd = [sys.executable, "-m", "mutmut", *args]
    if log is None:
        return subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True, check=False)
    with log.open("w", encoding="utf-8") as out:
        return subprocess.run(cmd, cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT, text=True, check=False)


def _children_cpu() -> float:
    """CPU seconds (user + system) of the ended child processes and all they waited for: mutmut, its
    fork server and every mutant's process. On a shared machine the wall time stretches with the
    others' load; this does not, and half of it is what the run takes on 2 cores of its own."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def statuses(folder: Path) -> dict[str, str]:
    """Every mutant's status, from ``mutmut results --all true``."""
    done = mutmut(folder, "results", "--all", "true")
    out = {}
    for line in done.stdout.splitlines():
        m = LINE.match(line)
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


def recheck_timeouts(folder: Path, module: str, found: dict[str, str], tests: list[str],
                     workers: int) -> dict[str, str]:
    """A mutant that ran past mutmut's time limit may only have met a busy machine (the limit is 15 times
    the tests' own time, fixtures not counted). Each one's tests are run again in one process, for up
    to 5 minutes: it counts as killed when a test fails or it is still running then (a loop), else it
    survived."""
    env = dict(os.environ, MUTANT_UNDER_TEST="")
    env.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    env.pop("PYTHONPATH", None)
    out = dict(found)

    def recheck(name: str) -> None:
        cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
               *PYTEST_ARGS.get(module, []), *tests]
        try:
            done = subprocess.run(cmd, cwd=folder / "mutants", env=dict(env, MUTANT_UNDER_TEST=name),
                                  capture_output=True, text=True, check=False, timeout=RECHECK_SECONDS)
        except subprocess.TimeoutExpired:
            return  # still running after minutes: the mutant loops (e.g. a counter never advanced), a real catch
        if done.returncode in (0, 5):  # passed, or no test ran
            out[name] = "survived (timed out under load)"

    with ThreadPoolExecutor(max_workers=workers) as pool:  # as many at once as mutmut's workers
        list(pool.map(recheck, sorted(n for n, status in found.items() if status == "timeout")))
    return out


def run_module(module: str, workers: int, tests: list[str] | None = None, again: bool = False,
               sample: str | None = None) -> dict:
    """One module's run; ``again``: only the figures of the last run in its folder (after re-running
    some mutants there with ``mutmut run NAME…``), no new run."""
    folder = WORK / module.replace("/", "_").removesuffix(".py")
    if again:
        done, seconds, cpu = subprocess.CompletedProcess([], 0), 0.0, 0.0
        config = (folder / "pyproject.toml").read_text("utf-8")
        match = re.search(r"pytest_add_cli_args_test_selection = (\[.*\])", config)
        tests = tests or (json.loads(match.group(1)) if match else None)
    else:
        folder = scratch_copy(module, tests)
        start, cpu_start = time.perf_counter(), _children_cpu()
        names = [f"{module.removesuffix('.py').replace('/', '.')}.{sample}"] if sample else []
        done = mutmut(folder, "run", "--max-children", str(workers), *names, log=folder / "mutmut.log")
        seconds, cpu = time.perf_counter() - start, _children_cpu() - cpu_start
    found = statuses(folder)
    if sample:  # a sample's figures: the mutants it names (all of them checked by the run)
        found = {n: st for n, st in found.items() if fnmatch.fnmatch(n.rsplit(".", 1)[-1], sample)}
    found = recheck_timeouts(folder, module, found, tests or MODULES[module], workers)
    counts = Counter(found.values())
    survivors = sorted(name for name, status in found.items() if status not in KILLED)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        diffs = list(pool.map(lambda name: mutmut(folder, "show", name).stdout, survivors))
    (folder / "survivors.txt").write_text("\n".join(diffs) + "\n", encoding="utf-8")
    killed = sum(counts[s] for s in KILLED)
    built = folder / "prebuilt" / "built.txt"  # the inputs the fork server built (tests/prebuild.py)
    prebuilt = built.read_text("utf-8").split() if built.exists() else []
    return {"prebuilt": prebuilt, "module": module, "tests": tests or MODULES[module], "sample": sample,
            "total": len(found), "killed": killed, "counts": dict(counts),
            "survivors": {name: found[name] for name in survivors}, "seconds": seconds, "cpu_seconds": cpu,
            "exit_code": done.returncode, "log": str(folder / "mutmut.log")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", action="append", choices=sorted(MODULES),
                        help="a module to mutate (repeatable; default: all four)")
    parser.add_argument("--workers", type=int, default=2, help="mutmut's worker processes (default 2)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--again", action="store_true",
                        help="no new run: the figures of the last run in build/mutation/ "
                             "(after `mutmut run NAME` there)")
    parser.add_argument("--sample", metavar="PATTERN",
                        help="only the mutants whose name (x_func__mutmut_N) matches, e.g. '*__mutmut_*5': one in ten")
    parser.add_argument("--tests", nargs="+", metavar="TEST",
                        help="run with these tests instead of the module's list (e.g. the list before new tests)")
    parser.add_argument("--no-prebuild", action="store_true",
                        help="every mutant's process builds the tests' inputs itself (to compare)")
    args = parser.parse_args()
    global PREBUILD
    PREBUILD = not args.no_prebuild
    if args.workers > 2:
        parser.error("at most 2 worker processes: the machine has 2 cores")
    if importlib.util.find_spec("mutmut") is None:
        parser.error("mutmut is not installed: pip install -e '.[test]'")
    WORK.mkdir(parents=True, exist_ok=True)
    results = []
    start = time.perf_counter()
    for module in args.module or list(MODULES):
        result = run_module(module, args.workers, args.tests, args.again, args.sample)
        results.append(result)
        total = result["total"] or 1
        others = ", ".join(f"{k} {v}" for k, v in sorted(result["counts"].items()) if k not in KILLED)
        failed = "" if result["exit_code"] == 0 else f" (mutmut exit code {result['exit_code']}, see {result['log']})"
        sampled = f" (the mutants named {args.sample})" if args.sample else ""
        print(f"{module}{sampled}: killed {result['killed']}/{result['total']} ({100 * result['killed'] / total:.1f} %)"
              f"{'; ' + others if others else ''}; {result['seconds'] / 60:.1f} min "
              f"(CPU {result['cpu_seconds'] / 60:.1f} min){failed}", flush=True)
        if PREBUILD:
            print(f"    inputs built once in the fork server: {len(result['prebuilt'])}")
        for name, status in result["survivors"].items():
            print(f"    {status}: {name}")
    elapsed = time.perf_counter() - start
    killed, total = sum(r["killed"] for r in results), sum(r["total"] for r in results)
    cpu = sum(r["cpu_seconds"] for r in results)
    print(f"all: killed {killed}/{total} ({100 * killed / max(total, 1):.1f} %) in {elapsed / 60:.1f} min "
          f"with {args.workers} worker(s); CPU {cpu / 60:.1f} min, i.e. {cpu / 60 / args.workers:.1f} min on "
          f"{args.workers} core(s) of its own; survivors' diffs in {WORK.relative_to(ROOT)}/*/survivors.txt")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0 if all(r["exit_code"] == 0 and r["total"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
