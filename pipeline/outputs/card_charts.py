"""The model card's charts: PNG images drawn from the stages' figures, embedded as data URIs (offline)."""

import base64
import io

import matplotlib

matplotlib.use("Agg")  # files only, no screen
import matplotlib.pyplot as plt  # noqa: E402


def as_base64(image: bytes) -> str:
    return base64.b64encode(image).decode()


def png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def charts(plots: dict) -> dict | None:
    """The cumulative gains and the calibration, drawn from evaluate's plot data."""
    gains, calibration = plots.get("gains"), plots.get("calibration")
    if gains is None or calibration is None:
        return None
    fig, ax = plt.subplots(figsize=(5.2, 4))
    for column in gains.columns.drop("share_of_deals"):
        if gains[column].notna().any():
            ax.plot(
                gains["share_of_deals"],
                gains[column],
                label=column,
                linestyle="--" if column == "random" else "-",
                linewidth=2 if column == "model" else 1.2,
            )
    ax.set(
        xlabel="share of holdout deals, best first",
        ylabel="share of all wins",
        title="Cumulative gains (lift)",
    )
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    lift = png(fig)
    fig, ax = plt.subplots(figsize=(5.2, 4))
    ax.plot(calibration["predicted"], calibration["perfect"], linestyle="--", color="grey", label="perfect")
    ax.plot(calibration["predicted"], calibration["observed"], marker="o", label="model")
    ax.set(xlabel="predicted P(win)", ylabel="observed win rate", title="Calibration on the holdout")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    return {"lift": as_base64(lift), "calibration": as_base64(png(fig))}


def backtest_chart(origins: list[dict]) -> str:
    """ROC AUC per backtest origin (and the oracle's, on the demo world)."""
    fig, ax = plt.subplots(figsize=(5.2, 3.2))
    at = [x["origin"] for x in origins]
    ax.plot(at, [x["roc_auc"] for x in origins], marker="o", linewidth=2, label="model")
    if "oracle_roc_auc" in origins[0]:
        ax.plot(at, [x["oracle_roc_auc"] for x in origins], marker="o", linewidth=1.2, label="oracle")
    ax.axhline(0.5, linestyle="--", color="grey", label="chance")
    ax.set(xlabel="origin (scores the quarter after it)", ylabel="ROC AUC", title="Rolling-origin backtest")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    return as_base64(png(fig))
