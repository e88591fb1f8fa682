"""WHEN things run: one thin module per DVC stage, the `icp` command line and the synthetic-world
generator."""
