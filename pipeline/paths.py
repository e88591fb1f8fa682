"""Every artifact path, derived once from the params' folders. Stages, the CLI, the runner, the tests and the
benches ask here; dvc.yaml names the same folders through `${...}` (tests/test_layout.py checks they agree).
The model folder's own files are the bundle's format: models/bundle.py names them."""

from dataclasses import dataclass
from pathlib import Path

from pipeline.io import table_file
from pipeline.params import Params

LISTS = ("csv", "xlsx", "html")  # the target list's formats, in the order they are offered


@dataclass(frozen=True)
class Paths:
    world: Path  # synthesize.out: the demo world's export
    world_truth: Path  # synthesize.truth_out: its ground truth, which no modelling stage reads
    source: Path  # ingest.source: the export ingest reads
    interim: Path
    features: Path
    model: Path
    reports: Path
    truth: Path | None  # evaluate.truth: the truth evaluate compares with (None for real data)
    explain: Path
    profile: Path  # explain.profile, without its .md / .json
    targets: Path
    refresh: Path  # refresh.out: the refreshed list and what changed
    model_card: Path

    def interim_table(self, name: str) -> Path:
        return table_file(self.interim, name, "parquet")

    def truth_table(self, name: str) -> Path:
        """A table of the demo world's truth that evaluate compares with (`evaluate.truth`)."""
        return table_file(self.truth, name, "parquet")

    @property
    def oracle(self) -> Path | None:
        """The truth's deals with their true P(win) (the demo world's oracle); None for real data."""
        return self.truth and self.truth_table("opportunities")

    def plot(self, name: str) -> Path:
        """The data of one of dvc.yaml's plots."""
        return self.plots / f"{name}.csv"

    @property
    def rejects(self) -> Path:
        return self.interim / "rejects.csv"

    @property
    def merges(self) -> Path:
        return self.interim / "account_merges.csv"

    @property
    def ingest_summary(self) -> Path:
        return self.interim / "ingest_summary.json"

    @property
    def train_set(self) -> Path:
        return self.features / "train.parquet"

    @property
    def score_set(self) -> Path:
        return self.features / "score.parquet"

    @property
    def earlier_set(self) -> Path:
        """The scoring set as of score.stability_days before: the list's churn over that time."""
        return self.features / "score_earlier.parquet"

    @property
    def open_set(self) -> Path:
        """The open deals' rows for the deal model, when the export fills a deal field."""
        return self.features / "open.parquet"

    @property
    def committee(self) -> Path:
        """Each closed deal's contacts engaged before it (features/committee.py), for the buying committee."""
        return self.features / "committee.parquet"

    @property
    def twin(self) -> Path:
        """The model's twin: the same training with the next seed (the promotion rule's)."""
        return self.model / "twin"

    @property
    def deal_model(self) -> Path:
        """The deal model's bundle, beside the account model's."""
        return self.model / "deal"

    @property
    def features_json(self) -> Path:
        return self.features / "features.json"

    @property
    def metrics(self) -> Path:
        return self.reports / "metrics.json"

    @property
    def plots(self) -> Path:
        return self.reports / "plots"

    @property
    def backtest(self) -> Path:
        """The rolling-origin backtest's figures per origin, with their mean and spread."""
        return self.reports / "backtest.json"

    @property
    def backtest_plot(self) -> Path:
        return self.reports / "backtest.csv"

    @property
    def importance(self) -> Path:
        return self.explain / "importance.json"

    @property
    def bar_chart(self) -> Path:
        """The SHAP bar chart, which the model card shows too."""
        return self.explain / "bar.png"

    @property
    def profile_md(self) -> Path:
        return self.profile.with_name(f"{self.profile.name}.md")

    @property
    def profile_json(self) -> Path:
        return self.profile.with_name(f"{self.profile.name}.json")

    @property
    def targets_summary(self) -> Path:
        return self.targets / "summary.json"

    def target_list(self, fmt: str) -> Path:
        return self.targets / f"target_accounts.{fmt}"

    @property
    def open_deals(self) -> Path:
        return self.targets / "open_deals.csv"

    @property
    def changes(self) -> Path:
        """What changed since the previous list, beside the refreshed list."""
        return self.refresh / "changes.csv"

    @property
    def refresh_set(self) -> Path:
        """The scoring set a refresh scored: the next refresh explains its moves against it."""
        return self.refresh / "score.parquet"

    def crm_file(self, crm: str) -> Path:
        """The target list as `crm` (salesforce or hubspot, `score.crm.files`) imports it."""
        return self.targets / f"crm_{crm}.csv"

    @property
    def contacts(self) -> Path:
        """The contacts to work at Tier 1-2 accounts (never logged to MLflow)."""
        return self.targets / "contacts.csv"


def paths(p: Params) -> Paths:
    return Paths(
        world=Path(p.synthesize.out),
        world_truth=Path(p.synthesize.truth_out),
        source=Path(p.ingest.source),
        interim=Path(p.ingest.out),
        features=Path(p.features.out),
        model=Path(p.train.out),
        reports=Path(p.evaluate.out),
        truth=Path(p.evaluate.truth) if p.evaluate.truth else None,
        explain=Path(p.explain.out),
        profile=Path(p.explain.profile),
        targets=Path(p.score.out),
        refresh=Path(p.refresh.out),
        model_card=Path(p.report.out),
    )
