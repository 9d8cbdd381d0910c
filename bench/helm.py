#!/usr/bin/env python3
"""Helm charts: kubepatrol's native rendering against `helm template` (tools/helm, v3.17.1).

Every row of ../shared/charts/CHARTS.md (a chart with its defaults, or with one values file of
its `ci/` folder, sometimes with extra arguments) is timed two ways against `helm template`,
which renders one row per process:

  * per row: one `kubepatrol lint` process per row (rendering natively and running every
    check), the row's values file named by a configuration of one values set;
  * per chart: one `kubepatrol lint` process per chart whose configuration names every row of
    the chart as a values set, as a repository configures its chart's CI values (what one
    pre-commit run on the chart does), against the sum of helm's rows.

A chart's commands (helm per row, kubepatrol per row, kubepatrol per chart) run in rounds, each
round running every one of them once after a warm-up round, and each timing is the min over the
rounds: a busier or quieter moment of the host falls on both tools alike.

`kubepatrol lint` also lints the chart's `crds/` (as `helm install` applies them), which
`helm template` only reads, except on the `--include-crds` rows. The charts are copied to a
temporary directory for the configurations. bench/run.py runs this for its Helm section;
standalone (`python3 bench/helm.py --runs 3`), it prints the section (and writes it to
--output when given).
"""

import argparse
import datetime
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import ROOT, git_commit, machine, run_once  # noqa: E402


def chart_rows(charts):
    """(row number, chart, values file or None, extra args) of every row of CHARTS.md."""
    rows = []
    for line in (charts / "CHARTS.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) > 5 and cells[1].isdigit():
            values = cells[3].strip("`")
            args = [arg for arg in cells[4].replace("extra", "").strip("` ").split() if arg]
            rows.append((int(cells[1]), cells[2].strip("`"), None if values == "(defaults)" else values, args))
    return rows


def values_set_yaml(chart, sets):
    """A configuration beside the copied `charts/` rendering `chart` with each (name, values
    file) of `sets` only."""
    lines = ["charts:", f"  - path: charts/{chart}", "    renderDefault: false", "    valuesSets:"]
    for name, values in sets:
        lines.append(f"      - name: {name}")
        if values:
            lines.append(f"        valuesFiles: [{values}]")
    return "\n".join(lines) + "\n"


def check_values_sets(lint, cwd, names):
    """Fail unless the configuration's values sets are what the workloads rendered with (a
    configuration whose path matches no chart would time the chart's defaults alone)."""
    report = subprocess.run(lint + ["--format", "json"], cwd=cwd, capture_output=True, text=True, check=False)
    workloads = json.loads(report.stdout)["summary"]["workloads"]
    rendered = {workload.get("valuesSet") for workload in workloads}
    if workloads and not rendered <= names:
        sys.exit(f"bench/helm.py: {' '.join(lint)} rendered values sets {rendered}, not {names}")


def measure_rows(charts, kubepatrol, runs):
    """Per row: (row, chart, whether it is the defaults row, kubepatrol min s, helm min s); per
    chart: (chart, rows, kubepatrol min s)."""
    helm = ROOT / "tools" / "helm"
    if not helm.exists() or not (charts / "CHARTS.md").exists():
        return None
    rows = chart_rows(charts)
    work = Path(tempfile.mkdtemp(prefix="kubepatrol-bench-helm-"))
    try:
        copy = work / "charts"
        shutil.copytree(charts, copy)
        per_row = []
        per_chart = []
        for chart in dict.fromkeys(chart for _, chart, _, _ in rows):
            its_rows = [(number, values, args) for number, name, values, args in rows if name == chart]
            config = work / f"{len(per_chart)}.yaml"
            config.write_text(values_set_yaml(chart, [(f"row{number}", values) for number, values, _ in its_rows]))
            lint = [kubepatrol, "lint", "--fail-on", "never", "--config", str(config), chart]
            check_values_sets(lint, copy, {f"row{number}" for number, _, _ in its_rows})
            commands = {"chart": lint}
            for number, values, args in its_rows:
                row_config = work / f"row{number}.yaml"
                row_config.write_text(values_set_yaml(chart, [(f"row{number}", values)]))
                commands[("native", number)] = [kubepatrol, "lint", "--fail-on", "never", "--config", str(row_config), chart]
                reference = ["template", "kp", chart, "--namespace", "default", *args]
                if values:
                    reference += ["-f", f"{chart}/{values}"]
                commands[("helm", number)] = [str(helm), *reference]
            best = measure_interleaved(commands, runs, copy)
            for number, values, args in its_rows:
                default = values is None and not args
                per_row.append((number, chart, default, best[("native", number)], best[("helm", number)]))
            per_chart.append((chart, len(its_rows), best["chart"]))
        per_row.sort()
        return per_row, per_chart
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure_interleaved(commands, runs, cwd):
    """The min wall time of each of `commands` over `runs` rounds (after a warm-up round), each
    round running every command once: a chart's helm and kubepatrol runs alternate, so a
    busier or quieter minute of the host falls on both."""
    for command in commands.values():
        run_once(command, cwd)
    best = dict.fromkeys(commands, float("inf"))
    for _ in range(runs):
        for key, command in commands.items():
            best[key] = min(best[key], run_once(command, cwd)[0])
    return best


def section(results):
    """The Markdown section of bench/RESULTS.md."""
    lines = ["## Helm charts", ""]
    if results is None:
        return lines + ["- Skipped: tools/helm or the chart corpus is missing (run .ci/run first).", ""]
    per_row, per_chart = results
    helm_of = {}
    for _, chart, _, _, reference in per_row:
        helm_of[chart] = helm_of.get(chart, 0) + reference
    lines += [
        "Per chart: one `kubepatrol lint` run rendering all of the chart's rows as values sets, against",
        "`helm template` once per row (the sum). A chart's runs of both tools alternate, round by round.",
        "",
        "| chart | rows | kubepatrol lint min s | helm template min s (sum) | ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    for chart, count, native in per_chart:
        lines.append(f"| `{chart}` | {count} | {native:.3f} | {helm_of[chart]:.3f} | {helm_of[chart] / native:.1f}x |")
    chart_total = sum(native for _, _, native in per_chart)
    row_total = sum(native for _, _, _, native, _ in per_row)
    helm_total = sum(helm_of.values())
    defaults = [(native, reference) for _, _, default, native, reference in per_row if default]
    lines += [
        "",
        f"- Every row ({len(per_row)} rows, {len(per_chart)} charts), helm template once per row: {helm_total:.3f} s.",
        f"- kubepatrol lint once per chart, every row a values set: {chart_total:.3f} s, **{helm_total / chart_total:.1f}x** faster.",
        f"- kubepatrol lint once per row: {row_total:.3f} s, **{helm_total / row_total:.1f}x** faster.",
        f"- The {len(defaults)} defaults rows alone, one process each: kubepatrol {sum(n for n, _ in defaults):.3f} s, "
        f"helm {sum(r for _, r in defaults):.3f} s, {sum(r for _, r in defaults) / sum(n for n, _ in defaults):.1f}x.",
        "",
        "<details><summary>Per row</summary>",
        "",
        "| row | chart | kubepatrol lint min s | helm template min s | ratio |",
        "|---:|---|---:|---:|---:|",
    ]
    for number, chart, _, native, reference in per_row:
        lines.append(f"| {number} | `{chart}` | {native:.3f} | {reference:.3f} | {reference / native:.1f}x |")
    return lines + ["", "</details>", ""]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--charts", default=str(ROOT.parent / "shared" / "charts"))
    parser.add_argument("--output")
    args = parser.parse_args()
    subprocess.check_call(["cargo", "build", "--release", "--locked", "-p", "kubepatrol"], cwd=ROOT)
    kubepatrol = str(ROOT / "target" / "release" / "kubepatrol")
    lines = [
        "# Benchmark results: Helm charts",
        "",
        f"- Date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {machine()}",
        f"- kubepatrol commit: {git_commit()}",
        f"- Command: `python3 bench/helm.py --runs {args.runs}`",
        f"- Each timing: one warm-up round, then {args.runs} rounds (min wall time; a round runs each of a chart's commands once).",
        "",
        *section(measure_rows(Path(args.charts), kubepatrol, args.runs)),
    ]
    if args.output:
        Path(args.output).write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
