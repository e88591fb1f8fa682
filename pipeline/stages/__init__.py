"""One thin module per DVC stage: read params and inputs, call features/ and models/, write outputs."""
