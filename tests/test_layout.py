"""The house rules, checked on the source: features <- models <- pipeline, no stage imports another, each
stage's dvc.yaml deps cover every project module it imports and every artifact it reads, and paths live in one
place."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline import params as P
from pipeline.paths import Paths, paths

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("features", "models", "pipeline")
LAYER = {"features": 0, "models": 1, "pipeline": 2}  # a package may import only its own layer and those below
KNOW_THE_ORDER = ("pipeline.run", "pipeline.cli")  # the only modules that may import stage modules
STAGES = list(yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"])
# Heavy libraries and the stages whose module imports them when it loads: any other stage would pay for the
# import on every `dvc repro` for nothing (sklearn comes with lightgbm). A stage may import one lazily, where
# it uses it.
HEAVY = {
    "shap": {"explain"},
    "matplotlib": {"explain", "report"},
    "mlflow": {"report"},
    "pandera": {"ingest"},
    "ibis": {"ingest", "featurize", "score"},
    "sklearn": {"train", "evaluate", "backtest", "explain", "score", "report"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources() -> dict[str, str]:
    """Every module of the three packages by dotted name, with its source."""
    return {module_name(f): f.read_text() for pkg in PACKAGES for f in sorted((ROOT / pkg).rglob("*.py"))}


def imported(source: str, known: set[str]) -> set[str]:
    """The project modules a source imports (`from pkg import module` counts as importing the module)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return {m for m in found if m in known}


def violations(modules: dict[str, str]) -> list[str]:
    """Each import of `modules` (planted ones beside the project's) that breaks the layering or lets anything
    but the runner and the CLI import a stage module, and each stage that runs another stage's module when
    imported (through pipeline.run, say)."""
    everything = sources() | modules
    bad = []
    for name, source in modules.items():
        for target in sorted(imported(source, set(everything))):
            if LAYER[target.split(".")[0]] > LAYER[name.split(".")[0]]:
                bad.append(
                    f"{name} imports {target}: {name.split('.')[0]} may not import {target.split('.')[0]}"
                )
            if target.startswith("pipeline.stages.") and name not in KNOW_THE_ORDER:
                bad.append(f"{name} imports the stage module {target}")
        if name.startswith("pipeline.stages."):
            others = sorted(
                m for m in closure(name, everything) if m.startswith("pipeline.stages.") and m != name
            )
            bad += [f"{name} runs the stage module(s) {others} when imported"] if others else []
    return bad


def test_the_layers_hold_and_no_stage_imports_another():
    assert violations(sources()) == []


@pytest.mark.parametrize(
    "name, source",
    [
        ("pipeline.stages.score", "from pipeline.stages.train import run"),
        ("pipeline.stages.explain", "from pipeline.stages import featurize"),
        ("pipeline.pyfunc", "import pipeline.stages.train"),
        ("pipeline.stages.score", "from pipeline.run import run_stages"),
        ("models.bundle", "from pipeline.io import to_json"),
        ("features.vocabulary", "from models.phrases import describe"),
    ],
)
def test_a_planted_violation_is_found(name, source):
    assert violations({name: source}), source


def heavy_loaded(module: str) -> set[str]:
    """The HEAVY libraries a fresh interpreter holds once `module` is imported (this checkout's code)."""
    code = f"import sys, {module}; print(*(m for m in {sorted(HEAVY)} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_imports_only_the_heavy_libraries_it_uses(stage):
    assert {lib for lib in heavy_loaded(f"pipeline.stages.{stage}") if stage not in HEAVY[lib]} == set()


def closure(module: str, modules: dict[str, str]) -> set[str]:
    """The project modules `module` runs when imported: its imports, theirs, and the packages around them."""
    seen, todo = set(), [module]
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        todo += [".".join(m.split(".")[:i]) for i in range(1, m.count(".") + 1)]
        todo += imported(modules[m], set(modules))
    return seen


def module_file(name: str) -> Path:
    path = ROOT / Path(*name.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def resolved_stages() -> dict[str, dict]:
    """dvc.yaml's stages with every `${key}` replaced by its params.yaml value, comments dropped."""
    flat = P.flatten(yaml.safe_load((ROOT / "params.yaml").read_text()))
    text = re.sub(r"\$\{([a-z_][\w.]*)\}", lambda m: str(flat[m.group(1)]), (ROOT / "dvc.yaml").read_text())
    return yaml.safe_load(text)["stages"]


def entries(stage: dict, *kinds: str) -> list[Path]:
    return [ROOT / (e if isinstance(e, str) else next(iter(e))) for k in kinds for e in stage.get(k, [])]


def covered(path: Path, by: list[Path]) -> bool:
    return any(path == d or d in path.parents for d in by)


def missing_modules(stage: dict, modules: dict[str, str]) -> list[str]:
    """The project modules a dvc.yaml stage runs that its deps do not cover."""
    deps = entries(stage, "deps")
    return sorted(
        str(module_file(m).relative_to(ROOT))
        for m in closure(stage["cmd"].split()[2], modules)
        if not covered(module_file(m), deps)
    )


def test_each_stage_depends_on_every_module_it_imports():
    modules = sources()
    for name, stage in resolved_stages().items():
        assert not missing_modules(stage, modules), f"dvc.yaml stage {name} lacks deps"


ARTIFACTS = {f.name for f in Paths.__dataclass_fields__.values()} | {
    n for n, v in vars(Paths).items() if isinstance(v, property)
}


def artifacts_used(source: str, f: Paths) -> set[Path]:
    """The artifact paths a module takes from a `paths(...)` object (names bound to it, or arguments
    annotated Paths): attributes, and `interim_table` / `target_list` with a literal argument (else the whole
    folder)."""
    tree = ast.parse(source)
    holders = {
        t.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for t, v in _pairs(node)
        if isinstance(t, ast.Name) and _is_paths_call(v)
    }
    holders |= {
        node.arg
        for node in ast.walk(tree)
        if isinstance(node, ast.arg)
        if isinstance(node.annotation, ast.Name) and node.annotation.id == "Paths"
    }
    used = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ARTIFACTS
            and (isinstance(node.value, ast.Name) and node.value.id in holders or _is_paths_call(node.value))
        ):
            used.add(getattr(f, node.attr))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("interim_table", "target_list")
        ):
            arg = node.args[0] if node.args else None
            folder = f.interim if node.func.attr == "interim_table" else f.targets
            used.add(getattr(f, node.func.attr)(arg.value) if isinstance(arg, ast.Constant) else folder)
    return used


def _pairs(node: ast.Assign):
    for target in node.targets:
        if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
            yield from zip(target.elts, node.value.elts, strict=False)
        else:
            yield target, node.value


def _is_paths_call(node) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "paths"


def missing_artifacts(stage: dict, f: Paths) -> list[str]:
    """The artifacts a dvc.yaml stage's module reads (or writes) that are neither its deps nor its outs."""
    source = module_file(stage["cmd"].split()[2]).read_text()
    mine = entries(stage, "deps", "outs", "metrics")
    return sorted(str(p) for p in artifacts_used(source, f) if not covered(ROOT / p, mine))


def test_each_stage_depends_on_every_artifact_it_reads():
    f = paths(P.load(ROOT / "params.yaml"))
    for name, stage in resolved_stages().items():
        assert not missing_artifacts(stage, f), f"dvc.yaml stage {name} reads what it does not list"


def test_a_planted_missing_dep_is_found():
    """evaluate without the split module it imports, and without the truth folder it reads."""
    stage = resolved_stages()["evaluate"]
    f = paths(P.load(ROOT / "params.yaml"))
    assert not missing_modules(stage, sources()) and not missing_artifacts(stage, f)
    planted = {**stage, "deps": [d for d in stage["deps"] if d not in ("models/split.py", str(f.truth))]}
    assert missing_modules(planted, sources()) == ["models/split.py"]
    assert missing_artifacts(planted, f) == [str(f.oracle)]


def test_the_artifact_check_sees_a_read_path():
    f = paths(P.load(ROOT / "params.yaml"))
    source = (
        "def run(p):\n    start, where = 0, paths(p)\n"
        "    return where.metrics, where.interim_table('accounts')"
    )
    assert artifacts_used(source, f) == {f.metrics, f.interim_table("accounts")}


FILE_NAME = re.compile(r"^[\w.-]+\.(json|csv|parquet|html|xlsx|png|md|txt)$")


def test_no_file_name_is_a_literal_in_two_modules():
    """Artifact names live once: in pipeline/paths.py, or in the one module whose format they are."""
    where: dict[str, set[str]] = {}
    for name, source in sources().items():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and FILE_NAME.match(node.value):
                where.setdefault(node.value, set()).add(name)
    twice = {literal: sorted(mods) for literal, mods in where.items() if len(mods) > 1}
    assert not twice, twice


def test_no_module_is_over_300_lines_without_saying_why():
    """A long module usually does two jobs; one that does not says so in its docstring ("Over 300 lines:
    ...")."""
    long = [
        name
        for name, source in sources().items()
        if source.count("\n") > 300 and "Over 300 lines" not in (ast.get_docstring(ast.parse(source)) or "")
    ]
    assert not long, long
