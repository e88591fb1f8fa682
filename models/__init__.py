"""HOW it learns and explains: the split, the model bundle and its folder, classifier, calibration, value
model, baselines, metrics, SHAP, the ICP profile, reasons, the scoring universe, ranking and tiers, drift."""
