#!/usr/bin/env bash
# Mutation testing with mutmut (docs/mutation.md): `bash tests/mutation.sh [MUTANT-GLOB...]`.
# Runs in a virtual environment of its own (.mutation-venv) where tenantctl is NOT installed, so
# the tests import the mutated copy under mutants/. Configuration: [tool.mutmut] in pyproject.toml.
# Takes hours for every module; pass mutant names (e.g. 'reconciler.plan.guardrails*') to run a few.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.mutation-venv
if [ ! -x "$venv/bin/mutmut" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q PyYAML jsonschema deepdiff click requests azure-identity pytest pytest-xdist hypothesis 'mutmut==3.8.1' \
        mypy types-PyYAML types-requests types-jsonschema
fi
# pytest runs with `-n auto` (pyproject addopts); mutmut's own arguments say `-n 0`, which needs xdist.
"$venv/bin/python" -c "import xdist" 2>/dev/null || "$venv/bin/pip" install -q pytest-xdist
export PATH="$PWD/$venv/bin:$PATH"  # type_check_command runs `mypy` from here
mkdir -p mutants  # must exist before Python starts, or its path cache forgets it
# Two passes: every mutant with the `mutation` profile (25 examples per property), then the
# survivors nothing explains again with the CI profile (500): with 40 examples, a property once
# missed a seat-counting mutant.
TENANTCTL_HYPOTHESIS=mutation "$venv/bin/mutmut" run --max-children 2 "$@"
survivors=$("$venv/bin/python" tests/mutation_score.py --survivors "$@")
if [ -n "$survivors" ]; then
    # shellcheck disable=SC2086  # one argument per mutant name
    TENANTCTL_HYPOTHESIS=ci "$venv/bin/mutmut" run --max-children 2 $survivors
fi
# mutmut's timeouts are CPU time over every thread: run them again against the wall clock.
(cd tests && "../$venv/bin/python" mutation_timeouts.py)
{ echo "# mutmut 3.8.1, $(date -u +%F), commit $(git rev-parse --short HEAD): bash tests/mutation.sh $*"
  "$venv/bin/python" tests/mutation_score.py --all; } > docs/mutation-results.txt
echo "Results: docs/mutation-results.txt (a mutant's change: \`$venv/bin/mutmut show NAME\`)"
