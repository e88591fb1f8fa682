"""What the companies do over time: trigger events, a latent in-market state, engagement and third-party
intent.

The in-market state is a weekly Markov chain whose entry rate rises after funding rounds and executive hires.
While in market, a share of the account's contacts (its buying-committee breadth, drawn per episode) engage
much more, and relevant intent topics surge: so engagement rises before opportunities, as it does in real
funnels.
"""

import numpy as np

from pipeline.world import catalog as C

TRIGGER_TYPES = list(C.TRIGGERS)


def make_triggers(rng: np.random.Generator, firms: dict, days: int) -> dict[str, np.ndarray]:
    n = len(firms["emp0"])
    rates = np.tile([r for r, _ in C.TRIGGERS.values()], (n, 1)).astype(float)
    rates[:, 0] += np.where(firms["ownership"] == "vc_backed", 0.45, 0.0)
    rates[:, 3] += np.clip(firms["growth"] - 0.1, 0, None) * 1.5
    rates[:, 5] += np.where(firms["growth"] < 0, 0.3, 0.0)
    counts = rng.poisson(rates * days / 365.0)
    acc, kind = np.nonzero(counts)
    reps = counts[acc, kind]
    acc, kind = np.repeat(acc, reps), np.repeat(kind, reps)
    day = rng.integers(0, days, len(acc))
    order = np.lexsort((day, acc))
    return {"account": acc[order], "kind": kind[order], "day": day[order]}


def make_in_market(rng: np.random.Generator, firms: dict, triggers: dict, weeks: int):
    """Weekly in-market flags and the committee breadth of the current episode, both (accounts x weeks)."""
    n = len(firms["emp0"])
    boost = np.zeros((n, weeks), np.float32)
    for kind, lift in ((0, 0.05), (1, 0.025)):  # funding round, executive hire: 8 weeks of higher entry
        sel = triggers["kind"] == kind
        acc, week = triggers["account"][sel], triggers["day"][sel] // 7
        for lag in range(8):
            w = np.minimum(week + lag, weeks - 1)
            np.add.at(boost, (acc, w), lift)
    base = 0.0045 * np.clip(0.6 + 0.2 * np.log10(firms["emp0"]), 0.5, 1.5)
    active = np.zeros((n, weeks), bool)
    breadth = np.zeros((n, weeks), np.float32)
    state = np.zeros(n, bool)
    b = np.zeros(n, np.float32)
    for w in range(weeks):
        u = rng.uniform(size=n)
        enter = ~state & (u < base + boost[:, w])
        leave = state & (u < 0.1)
        b = np.where(enter, rng.beta(2, 2, n).astype(np.float32), b)
        state = (state | enter) & ~leave
        active[:, w], breadth[:, w] = state, b
    return active, breadth


def make_activities(rng, contacts: dict, in_market, breadth, days: int) -> dict[str, np.ndarray]:
    """Marketing touches per contact and week (Poisson), plus anonymous web visits per account."""
    weeks = in_market.shape[1]
    acc = contacts["account"]
    m = len(acc)
    episode = np.cumsum(np.diff(in_market, axis=1, prepend=False) & in_market, axis=1)  # episode number
    draw = rng.uniform(size=(m, 8)).astype(np.float32)  # each contact's fixed draw per episode
    engaged = draw[np.arange(m)[:, None], np.minimum(episode[acc], 7)] < breadth[acc]
    hot = in_market[acc] & engaged
    started = (np.arange(weeks)[None, :] * 7) >= contacts["created"][:, None]
    rate = np.where(hot, 0.85, 0.025).astype(np.float32) * started
    counts = rng.poisson(rate)
    c_idx, week = np.nonzero(counts)
    reps = counts[c_idx, week]
    c_idx, week = np.repeat(c_idx, reps), np.repeat(week, reps)
    is_hot = hot[c_idx, week]
    kind = np.where(
        is_hot, _pick(rng, C.ACTIVITY_MIX_HOT, len(c_idx)), _pick(rng, C.ACTIVITY_MIX_COLD, len(c_idx))
    )

    n = in_market.shape[0]
    anon = rng.poisson(np.where(in_market, 0.5, 0.04))
    a_idx, a_week = np.nonzero(anon)
    reps = anon[a_idx, a_week]
    a_idx, a_week = np.repeat(a_idx, reps), np.repeat(a_week, reps)
    a_kind = (rng.uniform(size=len(a_idx)) < np.where(in_market[a_idx, a_week], 0.3, 0.05)).astype(int)

    account = np.concatenate([acc[c_idx], a_idx])
    contact = np.concatenate([c_idx, np.full(len(a_idx), -1)])
    week = np.concatenate([week, a_week])
    day = week * 7 + rng.integers(0, 7, len(week))
    keep = day < days
    if n:
        keep &= day >= np.concatenate([contacts["created"][c_idx], np.full(len(a_idx), -(10**6))])
    order = np.lexsort((day[keep], account[keep]))
    return {
        "account": account[keep][order],
        "contact": contact[keep][order],
        "kind": np.concatenate([kind, a_kind])[keep][order],
        "day": day[keep][order],
        "second": rng.integers(6 * 3600, 22 * 3600, int(keep.sum())),
    }


def _pick(rng, mix: np.ndarray, size: int) -> np.ndarray:
    return rng.choice(len(mix), size, p=mix / mix.sum())


def make_intent(rng, in_market, covered: np.ndarray, days: int, threshold: int = 50) -> dict[str, np.ndarray]:
    """Weekly topic scores for the accounts the vendor covers; like vendors, only scores >= threshold ship."""
    acc = np.nonzero(covered)[0]
    weeks, topics = in_market.shape[1], len(C.TOPICS)
    score = rng.normal(25, 12, (len(acc), topics, weeks)).astype(np.float32)
    relevant = np.arange(topics) < C.RELEVANT_TOPICS
    surge = (in_market[acc][:, None, :] & relevant[None, :, None]) & (rng.uniform(size=score.shape) < 0.55)
    surge |= rng.uniform(size=score.shape) < 0.006  # noise surges, relevant or not
    score = np.clip(np.round(score + surge * rng.uniform(45, 65, score.shape)), 0, 100).astype(np.int16)
    a, t, w = np.nonzero(score >= threshold)  # sorted by account, topic, week
    published = (w + 1) * 7  # a week's score is published when the week ends
    keep = published < days
    return {"account": acc[a[keep]], "topic": t[keep], "day": published[keep], "score": score[a, t, w][keep]}
