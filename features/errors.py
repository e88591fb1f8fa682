"""The one error of bad input, apart from the code that raises it: the error boundaries of the CLI and the
stages catch it without importing the validation code (so they do not depend on it in dvc.yaml)."""


class ContractError(ValueError):
    """Input the pipeline cannot use at all: a required table or column is missing, a file is unreadable."""
