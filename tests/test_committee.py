"""The buying committee: the world lists the role effect it plants and its switch."""

import json

from pipeline.cli import main as cli


def test_drivers_list_the_role_effect_and_its_switch(tmp_path):
    for flag, effect in (("--role-effect", 0.8), ("--no-role-effect", 0.0)):
        out = tmp_path / flag
        assert cli(["-q", "synthesize", "--accounts", "200", "--out", str(out), flag]) == 0
        truth = tmp_path / f"{flag}_truth"
        role = {d["driver"]: d for d in json.loads((truth / "drivers.json").read_text())}[
            "finance_engaged_90d"
        ]
        assert role["effect_logit"] == effect and role["kind"] == "main"
        assert role["description"].startswith("off (synthesize.role_effect: false)") == (not effect)
        assert json.loads((truth / "world.json").read_text())["config"]["role_effect"] == bool(effect)
