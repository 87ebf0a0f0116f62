#!/usr/bin/env bash
# Mutation testing with mutmut (docs/mutation.md): `bash tests/mutation.sh [MUTANT-GLOB...]`.
# Runs in a virtual environment of its own (.mutation-venv) where tenantctl is NOT installed, so
# the tests import the mutated copy under mutants/. Configuration: [tool.mutmut] in pyproject.toml.
# Takes hours for every module; pass mutant names (e.g. 'reconciler.guardrails*') to run a few.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.mutation-venv
if [ ! -x "$venv/bin/mutmut" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q PyYAML jsonschema deepdiff click requests azure-identity pytest hypothesis 'mutmut==3.8.1'
fi
mkdir -p mutants  # must exist before Python starts, or its path cache forgets it
# The CI profile (500 examples per property): with 40, a property missed a seat-counting mutant.
export TENANTCTL_HYPOTHESIS=ci
"$venv/bin/mutmut" run --max-children 2 "$@"
"$venv/bin/mutmut" results --all true | grep -v ": not checked" > docs/mutation-results.txt || true
echo "Results: docs/mutation-results.txt (surviving mutants: \`$venv/bin/mutmut show NAME\`)"
