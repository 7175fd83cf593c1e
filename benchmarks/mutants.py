"""The hand-made mutants of issue 24, applied one at a time, each run against its tests.

    python benchmarks/mutants.py            # every mutant against the tests that kill it
    python benchmarks/mutants.py M5 M7      # some of them

Each mutant is one text replacement in one source file: applied, the named test files
run (``pytest -q``), the file restored whatever happens. A mutant is killed when pytest
fails. The table and the evidence are in benchmarks/mutation.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROTECT = "src/audit/disclosure/protect.py"
TABLES = "src/audit/disclosure/tables.py"
SPC = "src/audit/measures/spc.py"
ORACLE = "tests/test_public_oracle.py"

#: name: (file, original text, mutated text, what it does, test files)
MUTANTS: dict[str, tuple[str, str, str, str, tuple[str, ...]]] = {
    "M1": (PROTECT, "if data.in_scope <= k:", "if data.in_scope < k:",
           "refuse only fewer than k in-scope cases", (ORACLE,)),
    "M2": (TABLES, "return hide(quarterly.drop(columns=dropped), masks, built_on)",
           "return _hide(hide(quarterly.drop(columns=dropped), masks, ()),"
           ' masks["numerator"], built_on)',
           "quarter table hides a row's rate on its numerator only", (ORACLE,)),
    "M2c": (TABLES,
            '            if ("quarterly", row_key(period, metric), "numerator") in hiding.hidden\n'
            '            or ("quarterly", row_key(period, metric), "denominator")'
            ' in hiding.hidden\n',
            '            if ("quarterly", row_key(period, metric), "numerator") in hiding.hidden\n',
            "p-chart hides a quarter on its numerator only", (ORACLE,)),
    "M3": (TABLES, 'out[metric] = hide(table, masks, ["rate", "position", *limits])',
           'out[metric] = _hide(hide(table, masks, ()), masks["numerator"],'
           ' ["rate", "position", *limits])',
           "funnel table hides a row's rate and position on its numerator only", (ORACLE,)),
    "M4": (TABLES, 'out["outside"] = out["outside"].to_numpy(dtype=bool) & ~mask',
           'out["outside"] = out["outside"].to_numpy(dtype=bool)',
           "a hidden quarter keeps its outside mark", (ORACLE,)),
    "M5": (TABLES, "return _adjust_shown(hide(out, counts, _RATE_COLUMNS))",
           "return hide(out, counts, _RATE_COLUMNS)",
           "public p_holm not re-adjusted over the shown rows", (ORACLE,)),
    "M6a": (TABLES, 'counts = hiding.masks("metrics", rows, ["numerator", "denominator"])',
            'counts = hiding.masks("metrics", rows, ["numerator", "denominator", "unknown"])',
            "tables hide a rate when only its unknown is hidden", (ORACLE,)),
    "M6b": (PROTECT, 'c.hidden and c.column != "unknown"', "c.hidden",
            "figures.csv drops a rate when only its unknown is hidden", (ORACLE,)),
    "M7": (PROTECT, "DROP_SHARE = 0.5", "DROP_SHARE = 0.8",
           "drop-instead-of-blank share 0.5 -> 0.8", (ORACLE,)),
    "M8a": (SPC, 'out[f"outside_{suffix}"] = (den > 0) & ((rate > high) | (rate < low))',
            'out[f"outside_{suffix}"] = (den > 0) & ((rate >= high) | (rate < low))',
            "funnel outside flag: rate >= upper", ("tests/test_spc.py", ORACLE)),
    "M8b": (SPC, "        if rate > high:\n", "        if rate >= high:\n",
            "funnel position: rate >= upper", ("tests/test_spc.py", ORACLE)),
    "M8c": (SPC, "outside = has_data & ((rate > upper) | (rate < lower))",
            "outside = has_data & ((rate >= upper) | (rate < lower))",
            "p-chart outside: rate >= upper", ("tests/test_spc.py",)),
    "M8d": (SPC, "outside = has_data & ((rate > upper) | (rate < lower))",
            "outside = has_data & ((rate > upper) | (rate <= lower))",
            "p-chart outside: rate <= lower", ("tests/test_spc.py", ORACLE)),
    "M8e": (SPC, "        if rate < low:\n", "        if rate <= low:\n",
            "funnel position: rate <= lower", ("tests/test_spc.py",)),
}


def run(name: str) -> bool:
    """Apply mutant ``name``, run its tests, restore; True when the tests fail (killed)."""
    path, old, new, what, tests = MUTANTS[name]
    file = ROOT / path
    text = file.read_text(encoding="utf-8")
    if text.count(old) != 1:
        raise SystemExit(f"{name}: the text to mutate is not in {path} exactly once")
    file.write_text(text.replace(old, new), encoding="utf-8")
    try:
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
        result = subprocess.run(
            [sys.executable, "-m", "pytest", *tests, "-q", "-p", "no:cacheprovider"],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    finally:
        file.write_text(text, encoding="utf-8")
    failed = [line.split(" - ")[0] for line in result.stdout.splitlines()
              if line.startswith("FAILED")]
    verdict = "killed" if result.returncode != 0 else "SURVIVED"
    print(f"{name} ({what}): {verdict}")
    for line in failed:
        print(f"    {line}")
    return result.returncode != 0


def main(argv: list[str]) -> int:
    names = argv or list(MUTANTS)
    survived = [name for name in names if not run(name)]
    print(f"{len(names) - len(survived)} of {len(names)} killed"
          + (f"; survived: {', '.join(survived)}" if survived else ""))
    return 1 if survived else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
