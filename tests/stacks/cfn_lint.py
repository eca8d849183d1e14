"""cfn-lint over a cloud assembly's templates, with the project's ``.cfnlintrc.yaml``.

    python -m tests.stacks.cfn_lint cdk.out

cfn-lint's state-machine schema requires a Task ``Resource`` to start with ``arn:aws:`` literally and
skips only placeholders that make up a whole value, so it would reject ``arn:${Partition}:states:::...``
(and any China or GovCloud ARN). Each template is therefore linted as CloudFormation deploys it to the
``aws`` partition: ``${Partition}`` in a definition replaced by ``aws``; everything else is as
synthesized.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / ".cfnlintrc.yaml"
PARTITION_PLACEHOLDER = "${Partition}"
_RUN_CFN_LINT = "import sys; from cfnlint.runner import main; sys.exit(main())"
"""cfn-lint's console entry point (the package has no ``__main__``), run under this interpreter."""


def templates(outdir: Path) -> list[Path]:
    """Every template of a cloud assembly, the nested assemblies of pipeline stages included."""
    return sorted(outdir.rglob("*.template.json"))


def as_deployed_to_aws(template: dict) -> dict:
    """The template with each state machine's ``${Partition}`` substituted by ``aws``, as CloudFormation does."""
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties", {})
        if resource.get("Type") == "AWS::StepFunctions::StateMachine" and isinstance(
            properties.get("DefinitionString"), str
        ):
            properties["DefinitionString"] = properties["DefinitionString"].replace(PARTITION_PLACEHOLDER, "aws")
            properties.get("DefinitionSubstitutions", {}).pop("Partition", None)
    return template


def lint(outdir: Path) -> str:
    """cfn-lint's findings over every template under ``outdir`` (empty when there are none)."""
    paths = templates(outdir)
    if not paths:
        raise FileNotFoundError(f"no *.template.json under {outdir}")
    with tempfile.TemporaryDirectory(prefix="cfn-lint-") as scratch:
        staged = []
        for path in paths:
            target = Path(scratch) / path.relative_to(outdir)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(as_deployed_to_aws(json.loads(path.read_text(encoding="utf-8")))))
            staged.append(str(target))
        completed = subprocess.run(
            [sys.executable, "-c", _RUN_CFN_LINT, "--config-file", str(CONFIG), "--", *staged],
            capture_output=True,
            text=True,
            cwd=scratch,
        )
    output = (completed.stdout + completed.stderr).replace(scratch + "/", "").strip()
    if completed.returncode == 1 or (completed.returncode and not output):
        raise RuntimeError(f"cfn-lint could not run (exit code {completed.returncode}): {output}")
    return output


def main(argv: list[str] | None = None) -> int:
    outdir = Path((argv if argv is not None else sys.argv[1:] or ["cdk.out"])[0])
    findings = lint(outdir)
    print(findings or f"cfn-lint: no findings in {len(templates(outdir))} templates under {outdir}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
