#!/usr/bin/env python3
"""Reference statistics for crm-engagement's campaign analytics, from statsmodels.

Creates a virtual environment (in a temporary directory, or in $CAMPAIGN_REF_VENV when
set, which is then kept for the next run), installs statsmodels into it, and writes
crm-engagement/tests/data/campaign_reference.json: a few fixed data sets and, for each,
what statsmodels computes for them:

* rates: `proportions_ztest` (pooled two-proportion z-test, two-sided), the unpooled Wald
  interval of the difference (`confint_proportions_2indep`, method "wald") and the Wilson
  interval of each group (`proportion_confint`, method "wilson");
* revenue: `ttest_ind(usevar="unequal")` (Welch's t, p-value and degrees of freedom) and
  the Welch interval of the difference (`CompareMeans.tconfint_diff(usevar="unequal")`);
* sample sizes: `NormalIndPower.solve_power` for Cohen's h (`proportion_effectsize`) and for
  a standardized mean difference.

The Rust test `crm-engagement/tests/campaign_reference.rs` recomputes every figure and
compares them to a relative 1e-9 (1e-6 for the sample sizes, which statsmodels finds by
root search).

Usage: python3 benches/compare/campaign_reference.py
"""

import json
import os
import random
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crm-engagement" / "tests" / "data" / "campaign_reference.json"


def ensure_statsmodels():
    """Re-runs this script inside a virtual environment that has statsmodels."""
    if os.environ.get("CAMPAIGN_REF_INSIDE") == "1":
        return
    kept = os.environ.get("CAMPAIGN_REF_VENV")
    with tempfile.TemporaryDirectory(prefix="campaign-ref-") as tmp:
        env_dir = Path(kept) if kept else Path(tmp) / "venv"
        python = env_dir / "bin" / "python"
        if not python.exists():
            venv.create(env_dir, with_pip=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "statsmodels==0.15.0"],
            check=True,
        )
        env = dict(os.environ, CAMPAIGN_REF_INSIDE="1")
        subprocess.run([str(python), __file__], check=True, env=env)
    sys.exit(0)


def rate_cases():
    """(treatment count, n, holdout count, n): textbook, balanced, unbalanced, extreme."""
    rng = random.Random(20250301)
    cases = [(60, 500, 40, 500), (12, 50, 5, 48), (0, 30, 2, 31), (997, 1000, 990, 1000)]
    for _ in range(4):
        n1, n2 = rng.randint(200, 5000), rng.randint(100, 3000)
        p1, p2 = rng.uniform(0.02, 0.4), rng.uniform(0.02, 0.4)
        x1 = sum(rng.random() < p1 for _ in range(n1))
        x2 = sum(rng.random() < p2 for _ in range(n2))
        cases.append((x1, n1, x2, n2))
    return cases


def revenue_sample(rng, n, buy, low, high):
    """Revenue per customer in cents-exact text: 0 unless the customer bought."""
    return ["%.2f" % (rng.uniform(low, high) if rng.random() < buy else 0.0) for _ in range(n)]


def revenue_cases():
    rng = random.Random(20250302)
    return [
        (["16", "18", "20", "20", "22", "24"], ["13", "15", "16", "16", "17", "19"]),
        (revenue_sample(rng, 400, 0.3, 5, 200), revenue_sample(rng, 150, 0.25, 5, 200)),
        (revenue_sample(rng, 1200, 0.1, 10, 80), revenue_sample(rng, 1000, 0.1, 10, 80)),
        (revenue_sample(rng, 60, 0.5, 1, 1000), revenue_sample(rng, 25, 0.2, 1, 50)),
    ]


def main():
    ensure_statsmodels()
    import numpy as np
    import statsmodels
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import (
        confint_proportions_2indep,
        proportion_confint,
        proportion_effectsize,
        proportions_ztest,
    )
    from statsmodels.stats.weightstats import CompareMeans, DescrStatsW, ttest_ind

    alpha = 0.05
    rates = []
    for x1, n1, x2, n2 in rate_cases():
        if x1 * n2 == x2 * n1 and x1 in (0, n1):
            continue
        z, p = proportions_ztest([x1, x2], [n1, n2])
        low, high = confint_proportions_2indep(x1, n1, x2, n2, method="wald", compare="diff", alpha=alpha)
        w1 = proportion_confint(x1, n1, alpha=alpha, method="wilson")
        w2 = proportion_confint(x2, n2, alpha=alpha, method="wilson")
        rates.append({
            "treatment": [x1, n1], "holdout": [x2, n2],
            "z": float(z), "p_value": float(p),
            "difference_interval": [float(low), float(high)],
            "treatment_wilson": [float(w1[0]), float(w1[1])],
            "holdout_wilson": [float(w2[0]), float(w2[1])],
        })
    revenue = []
    for a_text, b_text in revenue_cases():
        a = np.array([float(v) for v in a_text])
        b = np.array([float(v) for v in b_text])
        t, p, df = ttest_ind(a, b, usevar="unequal")
        low, high = CompareMeans(DescrStatsW(a), DescrStatsW(b)).tconfint_diff(alpha=alpha, usevar="unequal")
        revenue.append({
            "treatment": a_text, "holdout": b_text,
            "difference": float(a.mean() - b.mean()),
            "t": float(t), "p_value": float(p), "df": float(df),
            "difference_interval": [float(low), float(high)],
        })
    power = NormalIndPower()
    sizes = []
    for kind, first, second, a, pw in [
        ("rates", 0.10, 0.12, 0.05, 0.8),
        ("rates", 0.30, 0.25, 0.01, 0.9),
        ("rates", 0.02, 0.03, 0.05, 0.8),
        ("means", 5.0, 40.0, 0.05, 0.8),
        ("means", 1.0, 2.0, 0.10, 0.95),
    ]:
        if kind == "rates":
            effect = float(proportion_effectsize(second, first))
        else:
            effect = first / second
        # The closed form the library uses ignores the far tail: it is the one-sided
        # solution at alpha / 2; the two-sided solution differs only past the decimal point.
        one_sided = power.solve_power(effect_size=abs(effect), alpha=a / 2, power=pw, ratio=1.0, alternative="larger")
        two_sided = power.solve_power(effect_size=abs(effect), alpha=a, power=pw, ratio=1.0, alternative="two-sided")
        sizes.append({
            "kind": kind, "first": first, "second": second, "alpha": a, "power": pw,
            "effect_size": effect, "n": float(one_sided), "n_two_sided": float(two_sided),
        })
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({
        "generator": "benches/compare/campaign_reference.py",
        "statsmodels": statsmodels.__version__,
        "level": 1 - alpha,
        "rates": rates,
        "revenue": revenue,
        "sample_sizes": sizes,
    }, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(rates)} rate, {len(revenue)} revenue and {len(sizes)} sample-size cases")


if __name__ == "__main__":
    main()
