"""The enrichment feeds both styles share, keyed by domain as their vendors deliver them: BuiltWith's
technographics in its own tags, Bombora's weekly intent with US dates, a news feed's company events."""

import pandas as pd

from pipeline.world import vendor_fields as F
from pipeline.world import vendor_words as W


def builtwith(t: dict, domains: pd.Series) -> pd.DataFrame:
    """BuiltWith's technographics, keyed by website, in its own tags."""
    tech = t["technographics"]
    return pd.DataFrame(
        {
            "Domain": "www." + tech["account_id"].map(domains),
            "Technology": tech["technology"],
            "Tag": F.coded(tech["category"], W.BUILTWITH_TAG),
            "First Detected": F.stamp(tech["first_seen"], W.DATE),
            "Last Detected": F.stamp(tech["last_seen"], W.DATE),
        }
    )


def intent(t: dict, domains: pd.Series) -> pd.DataFrame:
    """Bombora's weekly surge scores, keyed by domain; `Week Ending` is the publication date, in US order."""
    i = t["intent"]
    return pd.DataFrame(
        {
            "Domain": i["account_id"].map(domains),
            "Topic": F.coded(i["topic"], W.TOPIC),
            "Week Ending": F.stamp(i["week"], W.US_DATE),
            "Composite Score": i["score"],
        }
    )


def news(rng, t: dict, domains: pd.Series) -> pd.DataFrame:
    """A news feed's company events, keyed by domain, published at some time of the event's day."""
    g = t["triggers"]
    return pd.DataFrame(
        {
            "Domain": g["account_id"].map(domains),
            "Published": F.stamp(F.at_time(rng, g["date"]), W.NEWS_DATETIME),
            "Event Type": F.coded(g["trigger_type"], W.EVENT_TYPE),
            "Headline": g["detail"],
        }
    )
