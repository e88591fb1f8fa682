"""HOW it learns and explains: the split, the model bundle and its folder, classifier, calibration, value
model, baselines, metrics, SHAP, the ICP profile, reasons, the scoring universe, ranking and tiers, drift."""

import os

# OpenMP threads (LightGBM's, scikit-learn's) sleep while they wait instead of spinning: spinning threads on a
# shared machine starve the job holding the other core (2 threads on 2 cores, one core taken: 20x slower).
# The runtime reads this once, when it loads: here, before any module of this package imports lightgbm.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
