"""WHAT the model sees: the data contract, parsing, row rules and keys (ingest), normalisation, seniority and
department from job titles, named products, the spines, and the point-in-time feature definitions."""
