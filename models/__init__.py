"""HOW it learns and explains: classifier, calibration, value model, baselines, metrics, reasons, tiers."""
