#!/usr/bin/env python3
"""kubepatrol's benchmark harness.

Builds the release binaries, makes scaled copies of the shared corpus (x1, x10, x50 by default),
and times on the same inputs, with several runs each (min and median wall time, throughput,
peak RSS):

  * kubepatrol lint (formats line and json, all checks), and with the Kyverno pod-security-cel
    policy library loaded (--policies), as a ratio to the run without,
  * the parse limit (bench/parse-limit: same walk, same parser, same trees; no checks, no output),
  * cat of every file to /dev/null (the I/O floor),
  * PyYAML's C loader on one core (a reference parser),
  * Checkov, installed into bench/.venv from PyPI (pinned), restricted to the checks matching
    kubepatrol's, on x1 (and x10 when x1 took under a minute),

plus single-file latency (the pre-commit case) against `true`, scaling with --jobs 1 and 2, and
Helm charts: every row of ../shared/charts/CHARTS.md, `kubepatrol lint` (native rendering plus
every check) against `helm template` (tools/helm, v3.17.1), as ratios (see bench/helm.py).
Results go to bench/RESULTS.md. Usage:

    python3 bench/run.py                      # everything
    python3 bench/run.py --scales 1,10 --runs 3 --no-checkov
"""

import argparse
import datetime
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKOV_VERSION = "3.3.30"
# Checkov's Kubernetes checks that match kubepatrol's catalogue.
CHECKOV_CHECKS = ",".join(
    [
        "CKV_K8S_19",  # hostNetwork
        "CKV_K8S_18",  # hostIPC
        "CKV_K8S_17",  # hostPID
        "CKV_K8S_26",  # hostPort
        "CKV_K8S_23",  # runAsNonRoot / root user
        "CKV_K8S_16",  # privileged
        "CKV_K8S_20",  # allowPrivilegeEscalation
        "CKV_K8S_39",  # SYS_ADMIN
        "CKV_K8S_22",  # readOnlyRootFilesystem
        "CKV_K8S_10",  # cpu requests
        "CKV_K8S_11",  # cpu limits
        "CKV_K8S_12",  # memory requests
        "CKV_K8S_13",  # memory limits
        "CKV_K8S_9",  # readiness probe
        "CKV_K8S_8",  # liveness probe
        "CKV_K8S_14",  # image tag latest
    ]
)
MANIFEST_SUFFIXES = {".yaml", ".yml", ".json"}


def run_once(command, cwd=None, stdin=None):
    """Wall seconds and peak RSS (MiB) of one run of `command`."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdin=stdin or subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, _, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    return elapsed, usage.ru_maxrss / 1024


def measure(command, runs, cwd=None):
    """min and median wall time, and the largest peak RSS over `runs` runs (one warm-up first)."""
    run_once(command, cwd)
    samples = [run_once(command, cwd) for _ in range(runs)]
    times = [elapsed for elapsed, _ in samples]
    return {"min": min(times), "median": statistics.median(times), "rss": max(rss for _, rss in samples)}


def tree_size(path):
    files = [p for p in Path(path).rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def make_scaled(corpus, target, scale):
    """`scale` copies of the corpus; metadata names get a copy suffix so objects stay distinct."""
    name_line = re.compile(r"^(metadata:\s*\n\s+name:\s*)([A-Za-z0-9][-A-Za-z0-9.]*)", re.MULTILINE)
    for copy in range(scale):
        for source in corpus.rglob("*"):
            if not source.is_file() or source.parent == corpus:
                continue
            destination = target / f"copy{copy:03d}" / source.relative_to(corpus)
            destination.parent.mkdir(parents=True, exist_ok=True)
            data = source.read_bytes()
            if copy and source.suffix in MANIFEST_SUFFIXES:
                try:
                    text = data.decode("utf-8")
                    data = name_line.sub(lambda m: f"{m.group(1)}{m.group(2)}-c{copy}", text).encode("utf-8")
                except UnicodeDecodeError:
                    pass
            destination.write_bytes(data)


def machine():
    memory_kib = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores ({cpu}), {memory_kib / 1024 / 1024:.1f} GiB memory, {platform.system()} {platform.release()}"


def git_commit():
    try:
        return subprocess.check_output(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], text=True).strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def ensure_checkov():
    venv = ROOT / "bench" / ".venv"
    checkov = venv / "bin" / "checkov"
    if not checkov.exists():
        subprocess.check_call([sys.executable, "-m", "venv", str(venv)])
        subprocess.check_call([str(venv / "bin" / "pip"), "install", "--quiet", f"checkov=={CHECKOV_VERSION}"])
    return checkov


PYYAML_SCRIPT = """
import sys, yaml
from pathlib import Path
loader = yaml.CSafeLoader
for path in Path(sys.argv[1]).rglob("*"):
    if path.suffix in {".yaml", ".yml", ".json"} and path.is_file():
        try:
            with open(path, "rb") as handle:
                for _ in yaml.load_all(handle, Loader=loader):
                    pass
        except Exception:
            pass
"""

SINGLE_FILE = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: latency
  namespace: bench
  labels:
    app: latency
spec:
  replicas: 3
  selector:
    matchLabels:
      app: latency
  template:
    metadata:
      labels:
        app: latency
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
      initContainers:
        - name: migrate
          image: registry.example.com/migrate:1.2.3
          command: ["/migrate", "--up"]
          resources:
            requests: {cpu: 50m, memory: 64Mi}
            limits: {cpu: 200m, memory: 128Mi}
      containers:
        - name: app
          image: registry.example.com/app:2.4.1
          args: ["--port=8080", "--log-level=info"]
          ports:
            - name: http
              containerPort: 8080
          env:
            - name: MODE
              value: production
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
            limits:
              cpu: 500m
              memory: 256Mi
          readinessProbe:
            httpGet:
              path: /ready
              port: http
            periodSeconds: 5
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 10
          volumeMounts:
            - name: tmp
              mountPath: /tmp
        - name: proxy
          image: envoyproxy/envoy:v1.30.1
          ports:
            - containerPort: 9901
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
          resources:
            requests:
              cpu: 50m
              memory: 64Mi
            limits:
              cpu: 200m
              memory: 128Mi
          readinessProbe:
            tcpSocket:
              port: 9901
          livenessProbe:
            tcpSocket:
              port: 9901
      volumes:
        - name: tmp
          emptyDir: {}
---
apiVersion: v1
kind: Service
metadata:
  name: latency
  namespace: bench
spec:
  selector:
    app: latency
  ports:
    - port: 80
      targetPort: http
"""


def row(label, scale, result, files, size):
    throughput = size / result["min"] / 1e6
    return (
        f"| {label} | x{scale} | {files:,} | {size / 1e6:,.1f} | {result['min']:.3f} | {result['median']:.3f} | "
        f"{throughput:,.1f} | {files / result['min']:,.0f} | {result['rss']:,.0f} |"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_corpus = os.environ.get("KUBEPATROL_CORPUS", str(ROOT.parent / "shared" / "corpus"))
    parser.add_argument("--corpus", default=default_corpus)
    parser.add_argument("--scales", default="1,10,50")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency-runs", type=int, default=50)
    parser.add_argument("--no-checkov", action="store_true")
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    default_policies = os.environ.get("KUBEPATROL_POLICIES", str(ROOT.parent / "shared" / "policies"))
    parser.add_argument(
        "--policies",
        default=str(Path(default_policies) / "kyverno__policies" / "pod-security-cel"),
        help="policy library loaded with --policies for the 'with policies' row (skipped when absent)",
    )
    parser.add_argument("--charts", default=str(ROOT.parent / "shared" / "charts"))
    args = parser.parse_args()

    corpus = Path(args.corpus)
    scales = [int(scale) for scale in args.scales.split(",")]
    subprocess.check_call(["cargo", "build", "--release", "--locked", "-p", "kubepatrol", "-p", "parse-limit"], cwd=ROOT)
    kubepatrol = str(ROOT / "target" / "release" / "kubepatrol")
    parse_limit = str(ROOT / "target" / "release" / "parse-limit")

    header = "| tool | set | files | MB | min s | median s | MB/s | files/s | peak RSS MiB |\n|---|---|---:|---:|---:|---:|---:|---:|---:|"
    rows, notes, ratios = [], [], []
    work = Path(tempfile.mkdtemp(prefix="kubepatrol-bench-"))
    try:
        sizes, line_min = {}, {}
        for scale in scales:
            target = work / f"x{scale}"
            make_scaled(corpus, target, scale)
            files, size = tree_size(target)
            sizes[scale] = (files, size)
            print(f"x{scale}: {files} files, {size / 1e6:.1f} MB", flush=True)
            lint = [kubepatrol, "lint", "--fail-on", "never"]
            results = {
                "kubepatrol lint (line)": measure(lint + ["--format", "line", str(target)], args.runs),
                "kubepatrol lint (json)": measure(lint + ["--format", "json", str(target)], args.runs),
                "parse limit": measure([parse_limit, str(target)], args.runs),
                "cat to /dev/null": measure(["sh", "-c", f"find '{target}' -type f -print0 | xargs -0 cat > /dev/null"], args.runs),
            }
            if scale == scales[0]:
                results["PyYAML C loader (1 core)"] = measure([sys.executable, "-c", PYYAML_SCRIPT, str(target)], max(1, args.runs // 2))
            if Path(args.policies).is_dir():
                with_policies = lint + ["--format", "line", "--policies", args.policies, str(target)]
                results["kubepatrol lint (line) + pod-security-cel"] = measure(with_policies, args.runs)
                cost = results["kubepatrol lint (line) + pod-security-cel"]["min"] / results["kubepatrol lint (line)"]["min"]
                ratios.append(f"- x{scale}: with the pod-security-cel policies loaded, lint takes {cost:.2f}x the time without.")
            line_min[scale] = results["kubepatrol lint (line)"]["min"]
            for label, result in results.items():
                rows.append(row(label, scale, result, files, size))
            fraction = results["parse limit"]["min"] / results["kubepatrol lint (line)"]["min"]
            ratios.append(f"- x{scale}: kubepatrol (line) runs at {fraction:.0%} of the parse limit's throughput.")
            if scale == scales[0] and "PyYAML C loader (1 core)" in results:
                speedup = results["PyYAML C loader (1 core)"]["min"] / results["kubepatrol lint (line)"]["min"]
                ratios.append(f"- x{scale}: kubepatrol (line, all cores) is {speedup:.1f}x PyYAML's C loader (one core).")

        scaling = []
        scale = scales[min(1, len(scales) - 1)]
        target = work / f"x{scale}"
        files, size = sizes[scale]
        jobs = {n: measure([kubepatrol, "lint", "--fail-on", "never", "--jobs", str(n), str(target)], args.runs) for n in (1, 2)}
        for n, result in jobs.items():
            scaling.append(row(f"kubepatrol --jobs {n}", scale, result, files, size))
        speedup = jobs[1]["min"] / jobs[2]["min"]
        notes.append(f"- Scaling on x{scale}: --jobs 2 is {speedup:.2f}x --jobs 1.")
        growth = ", ".join(
            f"x{s}: {line_min[s]:.3f} s = {line_min[s] / (sizes[s][1] / 1e8):.3f} s per 100 MB" for s in scales
        )
        notes.append(f"- Time against input size (kubepatrol lint, line, min): {growth}.")

        latency_dir = work / "single"
        latency_dir.mkdir()
        manifest = latency_dir / "deployment.yaml"
        manifest.write_text(SINGLE_FILE)
        lint_latency = [run_once([kubepatrol, "lint", str(manifest)])[0] for _ in range(args.latency_runs)]
        true_latency = [run_once(["true"])[0] for _ in range(args.latency_runs)]
        latency = (
            f"- Single file ({len(SINGLE_FILE.splitlines())} lines), whole process, median of {args.latency_runs}: "
            f"kubepatrol {statistics.median(lint_latency) * 1000:.2f} ms, `true` {statistics.median(true_latency) * 1000:.2f} ms "
            f"(difference {(statistics.median(lint_latency) - statistics.median(true_latency)) * 1000:.2f} ms)."
        )

        checkov_rows = []
        if not args.no_checkov:
            checkov = ensure_checkov()
            for scale in scales[:2]:
                target = work / f"x{scale}"
                files, size = sizes[scale]
                command = [str(checkov), "-d", str(target), "--framework", "kubernetes", "--check", CHECKOV_CHECKS, "--quiet", "--compact", "-o", "json"]
                elapsed, rss = run_once(command)
                result = {"min": elapsed, "median": elapsed, "rss": rss}
                checkov_rows.append(row(f"Checkov {CHECKOV_VERSION} (1 run)", scale, result, files, size))
                notes.append(f"- x{scale}: kubepatrol is {elapsed / line_min[scale]:,.0f}x faster than Checkov on the same files and checks.")
                if elapsed > 60:
                    break

        import helm  # bench/helm.py; imported here because it imports this module

        charts_section = helm.section(helm.measure_rows(Path(args.charts), kubepatrol, args.runs))

        lines = [
            "# Benchmark results",
            "",
            f"- Date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
            f"- Machine: {machine()}",
            f"- kubepatrol commit: {git_commit()}",
            f"- Command: `python3 bench/run.py --scales {args.scales} --runs {args.runs}{' --no-checkov' if args.no_checkov else ''}`",
            f"- Each timing: one warm-up run, then {args.runs} runs (min and median wall time; peak RSS is the largest of the runs).",
            "",
            "## Throughput",
            "",
            header,
            *rows,
            *checkov_rows,
            "",
            "## Against the parse limit and references",
            "",
            *ratios,
            "",
            "## Scaling",
            "",
            header,
            *scaling,
            "",
            *[note for note in notes if note],
            "",
            "## Single-file latency (pre-commit)",
            "",
            latency,
            "",
            *charts_section,
        ]
        Path(args.output).write_text("\n".join(lines))
        print("\n".join(lines))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
