#!/usr/bin/env bash
# Step 2 of action.yml: one kubepatrol run writes the GitHub annotations (stdout), the SARIF file
# and a JSON report; the JSON then feeds the job summary and the step outputs. The step exits
# with kubepatrol's exit code, after the summary and outputs are written.
set -euo pipefail

kubepatrol="${KUBEPATROL_BIN:-kubepatrol}"
sarif="${KUBEPATROL_SARIF:-kubepatrol.sarif}"
json_report="${RUNNER_TEMP:?RUNNER_TEMP is not set}/kubepatrol-report.$$.json"
rm -f "$json_report"

# Paths are separated by spaces or newlines, like a shell word list without globbing.
read -r -d '' -a paths <<< "${KUBEPATROL_PATHS:-.}" || true
if [ ${#paths[@]} -eq 0 ]; then
  paths=(.)
fi

args=(lint --format github --output-sarif "$sarif" --output-json "$json_report")
[ -n "${KUBEPATROL_CONFIG:-}" ] && args+=(--config "$KUBEPATROL_CONFIG")
[ -n "${KUBEPATROL_BASELINE:-}" ] && args+=(--baseline "$KUBEPATROL_BASELINE")
if [ -n "${KUBEPATROL_NEW_SINCE:-}" ]; then
  # actions/checkout fetches one commit by default: fetch the one to compare with if missing.
  if ! git cat-file -e "${KUBEPATROL_NEW_SINCE}^{commit}" 2>/dev/null; then
    git fetch --quiet --no-tags --depth=1 origin "$KUBEPATROL_NEW_SINCE" || true
  fi
  args+=(--new-since "$KUBEPATROL_NEW_SINCE")
fi
[ -n "${KUBEPATROL_FAIL_ON:-}" ] && args+=(--fail-on "$KUBEPATROL_FAIL_ON")
[ -n "${KUBEPATROL_MIN_SCORE:-}" ] && args+=(--min-score "$KUBEPATROL_MIN_SCORE")
[ -n "${KUBEPATROL_HTML:-}" ] && args+=(--output-html "$KUBEPATROL_HTML")

status=0
"$kubepatrol" "${args[@]}" -- "${paths[@]}" || status=$?

python3 "$(dirname "$0")/action-summary.py" "$json_report" "$sarif" "$status"
rm -f "$json_report"
exit "$status"
