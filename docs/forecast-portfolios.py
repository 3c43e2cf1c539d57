# Draws behaviour settings for the forecast's robustness check. Ranges fixed before any run
# (2026-12-06 12:55): each tunable uniform in a band around the demo's defaults (about half to
# twice), archetype weights each a whole number 0..40 (not all zero), seeds 1000+i.
# Usage: python3 docs/forecast-portfolios.py [N]  (OWED=path of the binary, default
# target/release/owed); prints one line per portfolio: ratio, model MAE, bias, median MAE,
# the segments' ratios, and the settings.
import os, random, re, subprocess, sys, tempfile
N = int(sys.argv[1]) if len(sys.argv) > 1 else 20
OWED = os.environ.get("OWED", "target/release/owed")
WORK = tempfile.mkdtemp(prefix="owed-portfolios-")
CONFIG = os.path.join(WORK, "config.toml")
open(CONFIG, "w").close()
rng = random.Random(20261206)
rows = []
for i in range(N):
    w = [rng.randint(0, 40) for _ in range(7)]
    if sum(w) == 0: w[0] = 1
    lo = rng.uniform(10, 60)
    s = dict(
        archetypes="/".join(map(str, w)),
        lateness=round(rng.uniform(0.5, 2.0), 2),
        spread=round(rng.uniform(0.5, 2.0), 2),
        drift=round(rng.uniform(0.0, 0.6), 2),
        size_effect=round(rng.uniform(0.0, 12.0), 1),
        hiccup=round(rng.uniform(0.0, 0.1), 3),
        disputer_share=round(rng.uniform(0.1, 0.6), 2),
        dispute_days=f"{lo:.0f}..{lo + rng.uniform(20, 120):.0f}",
        dispute_credit=round(rng.uniform(0.0, 0.7), 2),
        payment_run=round(rng.uniform(0.0, 0.9), 2),
    )
    beh = ",".join(f"{k}={v}" for k, v in s.items())
    seed = 1000 + i
    db = os.path.join(WORK, f"r{i}.db")
    subprocess.run(["rm", "-f", db, db + "-wal", db + "-shm"])
    subprocess.run([OWED, "demo", "--no-tui", "--db", db, "--config", CONFIG,
                    "--as-of", "2026-03-31", "--seed", str(seed), "--behaviour", beh],
                   check=True, capture_output=True)
    out = subprocess.run([OWED, "backtest", "--db", db, "--config", CONFIG,
                          "--from", "2025-07-01", "--to", "2026-01-01", "--every", "14d",
                          "--as-of", "2026-03-31"], check=True, capture_output=True, text=True).stdout
    ov = [l for l in out.splitlines() if l.startswith("overall")][0].split()
    seg = {l.split()[0] + (" due" if l.startswith("not due") else ""): l.split()[-1]
           for l in out.splitlines() if re.match(r"^(not due|overdue|disputed) ", l)}
    print(f"{i:2} seed {seed} ratio {ov[-1]} model {ov[3]} bias {ov[4]} median {ov[5]} "
          f"| not due {seg.get('not due')} overdue {seg.get('overdue')} disputed {seg.get('disputed')} | {beh}", flush=True)
