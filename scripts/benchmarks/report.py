"""Write BENCHMARKS.md from the results of run.sh.

Usage: python3 report.py RESULTS_DIR TEMPLATE OUTPUT [EARLIER_RESULTS_DIR...]

Reads the hyperfine JSON files (`LIST.FS.SCENARIO.rN.json`, one per round),
the load averages (`LIST.FS.SCENARIO.load`, one line per round), the
`/usr/bin/time -v` outputs (`LIST.FS.SCENARIO.TOOL.time`), the `strace -c -f`
summaries (`LIST.FS.strace.TOOL.txt` with `LIST.FS.strace.TOOL.files`),
`machine.txt` and `notes`, fills the template's `{{...}}` fields and writes
OUTPUT. The text between the analysis markers of an existing OUTPUT is kept.

FS is `tmpfs` (caches, environments, templates and binaries in memory: the
targets are judged there) or `disk` (disk-bound). When the run had a
`puffin-before` tool, the tables add the after/before ratio of puffin.
With the `bytecode` scenario beside `hardlink`, a table shows what compiling
bytecode adds to each tool's warm sync, and puffin's extra over uv's.

Each EARLIER_RESULTS_DIR (run.sh's BENCH_EARLIER gives one) is an earlier
run's results directory: its tables follow this run's, under their own date
and machine, newest first as given, so a partial run does not hide the last
full one.
"""

import json
import re
import statistics
import sys
from pathlib import Path

SCENARIOS = [
    ("hardlink", "1. warm, hardlink"),
    ("copy", "2. warm, copy"),
    ("clone", "3. warm, clone (XFS)"),
    ("cross-fs", "4. warm, cache on another filesystem"),
    ("noop", "5. no-op"),
    ("cold", "6. cold cache"),
    ("uninstall", "7. uninstall"),
    ("bytecode", "8. warm, hardlink, --compile-bytecode"),
]
# puffin's extra time for --compile-bytecode over a plain hardlink sync, as a
# fraction of uv's (same run): the bytecode issue's target.
BYTECODE_TARGET = 0.80
# puffin / uv targets. On the tmpfs: the cold-path issue's targets (same run,
# tmpfs). On the disk: the targets the disk-bound runs were first judged by.
TARGETS = {
    "tmpfs": {"hardlink": 0.50, "copy": 0.55, "noop": 0.10, "cold": 0.80},
    "disk": {"hardlink": 0.70, "copy": 0.90, "clone": 0.80, "cross-fs": 0.90, "noop": 0.50, "cold": 1.00},
}
MEMORY_TARGETS = {"tmpfs": {"cold": 0.70}, "disk": {s: 1.00 for s, _ in SCENARIOS}}
CPU_TARGETS = {"tmpfs": {"cold": 0.90}, "disk": {}}
TOOLS = ["puffin-before", "puffin", "uv", "pip"]
LIST_ORDER = ["small", "jupyter-pandas", "large"]
FS_ORDER = ["tmpfs", "disk"]
FS_TITLES = {
    "tmpfs": "On a tmpfs (caches, environments, template environments and the tools' binaries in memory)",
    "disk": "On the disk (disk-bound)",
}
FS_INTROS = {
    "tmpfs": (
        "The disk is out of the picture: the ratios are stable from run to run, and the\n"
        "targets are judged here."
    ),
    "disk": (
        "Caches and environments on the disk that holds the scratch directory (see\n"
        "Machine): these times are bound by the filesystem's inode allocation and\n"
        "journal, and by the order of the tools (see the analysis), more than by the\n"
        "installers. Clone runs on an XFS image and cross-fs takes its cache from the\n"
        "tmpfs; both run in this set only."
    ),
}
OFFLINE = (
    "In every scenario but the cold one, puffin and uv run with `--offline` (uv\n"
    "  always with `--no-config`): without it uv revalidates the index pages (the\n"
    "  index used here serves them without `Cache-Control` headers) and the ratio\n"
    "  would measure the network, not the installer. pip has no such option and runs\n"
    "  as it is; its warm times include fetching the index pages."
)
ONLINE = (
    "This run used `BENCH_OFFLINE=0`: puffin and uv were allowed to revalidate index\n"
    "  pages in the warm scenarios, as was pip."
)
MIRROR = (
    "Every tool is given a local mirror as its index (`--index-url\n"
    "  http://127.0.0.1:PORT/simple`): {mirror}, a static simple index written by\n"
    "  `mirror.py` over the lists' wheels, downloaded once with `pip download`. The\n"
    "  cold scenario measures the installers, not the internet. Each tool has its own\n"
    "  cache directory, filled by one untimed install before the warm scenarios."
)
DEFAULT_INDEX = (
    "Each tool has its own cache directory, filled by one untimed install before\n"
    "  the warm scenarios. All tools find the package index from their defaults\n"
    "  (pip's configuration)."
)
START = "<!-- analysis:start -->"
END = "<!-- analysis:end -->"
DEFAULT_ANALYSIS = "_Not written yet._"


def read_machine(results):
    machine = {}
    path = results / "machine.txt"
    if path.exists():
        for line in path.read_text().splitlines():
            key, _, value = line.partition(": ")
            machine[key] = value.strip()
    return machine


def lists_of(results):
    found = {p.name.split(".")[0] for p in results.glob("*.json")}
    found |= {p.name.split(".")[0] for p in results.glob("*.strace.*")}
    return sorted(found, key=lambda name: (LIST_ORDER.index(name) if name in LIST_ORDER else 99, name))


def filesystems_of(results):
    found = {p.name.split(".")[1] for p in results.glob("*.json")}
    found |= {p.name.split(".")[1] for p in results.glob("*.strace.*")}
    return [fs for fs in FS_ORDER if fs in found]


class Scenario:
    """The pooled hyperfine results of one scenario's rounds."""

    def __init__(self, results, name):
        self.times = {}  # tool -> all run times (s)
        self.cpu = {}  # tool -> (user s, system s), mean per run over the rounds
        self.rounds = []  # per round: tool -> median (s)
        sums = {}
        for path in sorted(results.glob(f"{name}.r*.json"), key=lambda p: int(p.name.split(".r")[-1][:-5])):
            data = json.loads(path.read_text())
            medians = {}
            for r in data["results"]:
                tool = r["command"]
                self.times.setdefault(tool, []).extend(r["times"])
                medians[tool] = statistics.median(r["times"])
                n = len(r["times"])
                user, system, count = sums.get(tool, (0.0, 0.0, 0))
                sums[tool] = (user + r["user"] * n, system + r["system"] * n, count + n)
            self.rounds.append(medians)
        self.cpu = {tool: (u / n, s / n) for tool, (u, s, n) in sums.items() if n}
        loads = results / f"{name}.load"
        self.loads = [line.split() for line in loads.read_text().splitlines()] if loads.exists() else []

    def __bool__(self):
        return bool(self.times)

    def median(self, tool):
        times = self.times.get(tool)
        return statistics.median(times) if times else None

    def runs(self):
        return sorted({len(t) for t in self.times.values()})

    def round_ratios(self, a, b):
        out = []
        for medians in self.rounds:
            ratio = ratio_of(medians.get(a), medians.get(b))
            if ratio is not None:
                out.append(f"{ratio:.2f}")
        return ", ".join(out) or "–"

    def load(self):
        if not self.loads:
            return "–"
        values = [float(v) for pair in self.loads for v in pair]
        return f"{min(values):.1f}–{max(values):.1f}"


def peak_rss_kib(path):
    if not path.exists():
        return None
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", path.read_text())
    return int(match.group(1)) if match else None


def seconds(value):
    if value is None:
        return "–"
    if value < 1:
        return f"{value * 1000:.0f} ms" if value >= 0.1 else f"{value * 1000:.1f} ms"
    return f"{value:.2f} s"


def mib(kib):
    return "–" if kib is None else f"{kib / 1024:.1f} MiB"


def verdict(ratio, target):
    if ratio is None or target is None:
        return "–"
    return "met" if ratio <= target else "**missed**"


def ratio_of(a, b):
    return None if a is None or b is None or b == 0 else a / b


def fmt_ratio(ratio):
    return "–" if ratio is None else f"{ratio:.2f}"


def fmt_target(target):
    return "–" if target is None else f"≤ {target:.2f}"


def time_table(results, fs, name, tools):
    before = "puffin-before" in tools
    header = ["scenario (runs)", *tools, "puffin/uv", "target", ""]
    if before:
        header += ["before/uv", "after/before", "after/before per round"]
    header += ["load"]
    rows = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    for scenario, label in SCENARIOS:
        found = Scenario(results, f"{name}.{fs}.{scenario}")
        if not found:
            continue
        target = TARGETS[fs].get(scenario)
        ratio = ratio_of(found.median("puffin"), found.median("uv"))
        cells = [
            f"{label} ({'/'.join(map(str, found.runs()))})",
            *(seconds(found.median(tool)) for tool in tools),
            fmt_ratio(ratio),
            fmt_target(target),
            verdict(ratio, target),
        ]
        if before:
            cells += [
                fmt_ratio(ratio_of(found.median("puffin-before"), found.median("uv"))),
                fmt_ratio(ratio_of(found.median("puffin"), found.median("puffin-before"))),
                found.round_ratios("puffin", "puffin-before"),
            ]
        cells.append(found.load())
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def cpu_table(results, fs, name, tools):
    before = "puffin-before" in tools
    header = ["scenario", *(f"{tool} user / sys" for tool in tools), "puffin/uv user", "target", ""]
    if before:
        header += ["after/before user"]
    rows = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    for scenario, label in SCENARIOS:
        found = Scenario(results, f"{name}.{fs}.{scenario}")
        if not found:
            continue
        user = {tool: found.cpu.get(tool, (None, None))[0] for tool in tools}
        target = CPU_TARGETS[fs].get(scenario)
        ratio = ratio_of(user.get("puffin"), user.get("uv"))
        cells = [label]
        for tool in tools:
            u, s = found.cpu.get(tool, (None, None))
            cells.append(f"{seconds(u)} / {seconds(s)}")
        cells += [fmt_ratio(ratio), fmt_target(target), verdict(ratio, target)]
        if before:
            cells.append(fmt_ratio(ratio_of(user.get("puffin"), user.get("puffin-before"))))
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def bytecode_table(results, fs, name, tools):
    """Per tool, the bytecode scenario's median minus the hardlink scenario's."""
    plain = Scenario(results, f"{name}.{fs}.hardlink")
    compiled = Scenario(results, f"{name}.{fs}.bytecode")
    if not plain or not compiled:
        return []
    header = ["tool", "hardlink", "with `--compile-bytecode`", "extra (wall)", "extra CPU (user + sys)", "extra per round"]
    rows = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    extra = {}
    for tool in tools:
        a, b = plain.median(tool), compiled.median(tool)
        if a is None or b is None:
            continue
        extra[tool] = b - a
        cpu = None
        if tool in plain.cpu and tool in compiled.cpu:
            cpu = sum(compiled.cpu[tool]) - sum(plain.cpu[tool])
        per_round = [
            seconds(after[tool] - before[tool])
            for before, after in zip(plain.rounds, compiled.rounds)
            if tool in before and tool in after
        ]
        rows.append(f"| {tool} | {seconds(a)} | {seconds(b)} | {seconds(b - a)} | {seconds(cpu)} | {', '.join(per_round) or '–'} |")
    ratio = ratio_of(extra.get("puffin"), extra.get("uv"))
    rounds = [
        ratio_of(after["puffin"] - before["puffin"], after["uv"] - before["uv"])
        for before, after in zip(plain.rounds, compiled.rounds)
        if all(tool in before and tool in after for tool in ("puffin", "uv"))
    ]
    rows += [
        "",
        f"puffin's extra / uv's extra: **{fmt_ratio(ratio)}** (target {fmt_target(BYTECODE_TARGET)}: "
        f"{verdict(ratio, BYTECODE_TARGET)}; per round {', '.join(fmt_ratio(r) for r in rounds) or '–'}; "
        f"runs {'/'.join(map(str, compiled.runs()))}, load {plain.load()} then {compiled.load()}).",
    ]
    return rows


def memory_table(results, fs, name, tools):
    before = "puffin-before" in tools
    header = ["scenario", *tools, "puffin/uv", "target", ""]
    if before:
        header += ["after/before"]
    rows = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    for scenario, label in SCENARIOS:
        rss = {tool: peak_rss_kib(results / f"{name}.{fs}.{scenario}.{tool}.time") for tool in tools}
        if all(v is None for v in rss.values()):
            continue
        target = MEMORY_TARGETS[fs].get(scenario)
        ratio = ratio_of(rss.get("puffin"), rss.get("uv"))
        cells = [label, *(mib(rss[tool]) for tool in tools), fmt_ratio(ratio), fmt_target(target), verdict(ratio, target)]
        if before:
            cells.append(fmt_ratio(ratio_of(rss.get("puffin"), rss.get("puffin-before"))))
        rows.append("| " + " | ".join(cells) + " |")
    return rows


# Syscalls that wait (for another thread, a child, the network): their time is
# not work done by the kernel for the install.
WAITING = {
    "futex", "epoll_wait", "epoll_pwait", "epoll_pwait2", "poll", "ppoll", "select",
    "pselect6", "wait4", "waitid", "clock_nanosleep", "nanosleep", "sched_yield",
}


def parse_strace(path):
    """Calls and errors per syscall, and the seconds in syscalls that do not
    wait, of `strace -c` output."""
    calls, errors, total_seconds = {}, {}, 0.0
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) < 5 or not re.fullmatch(r"[\d.]+", parts[0]) or parts[-1] == "total":
            continue
        name = parts[-1]
        calls[name] = calls.get(name, 0) + int(parts[3])
        errors[name] = errors.get(name, 0) + (int(parts[4]) if len(parts) == 6 else 0)
        if name not in WAITING:
            total_seconds += float(parts[1])
    return calls, errors, total_seconds


def strace_table(results, fs, name):
    runs = {}
    for tool in TOOLS:
        txt = results / f"{name}.{fs}.strace.{tool}.txt"
        files = results / f"{name}.{fs}.strace.{tool}.files"
        if txt.exists() and files.exists():
            runs[tool] = (*parse_strace(txt), int(files.read_text().strip() or 0))
    if not runs:
        return []
    tools = list(runs)
    out = ["Files installed: " + ", ".join(f"{t} {runs[t][3]}" for t in tools) + ".", ""]
    out.append("| syscall | " + " | ".join(f"{t} calls | {t} per file" for t in tools) + " |")
    out.append("|---" * (1 + 2 * len(tools)) + "|")
    names = set()
    for tool in tools:
        names |= set(runs[tool][0])
    ranked = sorted(names, key=lambda n: -max(runs[t][0].get(n, 0) for t in tools))

    def cells(count_of):
        cols = []
        for tool in tools:
            count = count_of(tool)
            files = runs[tool][3]
            cols.append(f"{count:,}")
            cols.append(f"{count / files:.2f}" if files else "–")
        return " | ".join(cols)

    for syscall in ranked[:12]:
        out.append(f"| `{syscall}` | " + cells(lambda t, s=syscall: runs[t][0].get(s, 0)) + " |")
    rest = ranked[12:]
    if rest:
        out.append(f"| {len(rest)} others | " + cells(lambda t: sum(runs[t][0].get(s, 0) for s in rest)) + " |")
    out.append("| **all** | " + cells(lambda t: sum(runs[t][0].values())) + " |")
    out.append("| failed calls | " + cells(lambda t: sum(runs[t][1].values())) + " |")
    out.append(
        "| seconds in syscalls that do not wait (strace) | "
        + " | ".join(f"{runs[t][2]:.3f} | –" for t in tools)
        + " |"
    )
    return out


def fs_section(results, fs, lists, tools, suffix=""):
    out = [f"## {FS_TITLES[fs]}{suffix}", "", FS_INTROS[fs], ""]
    parts = [
        ("Wall time (median of all rounds)", time_table),
        ("Compiling bytecode: `bytecode` minus `hardlink`, medians, same run", bytecode_table),
        ("CPU time (mean per run: user / system, all threads)", cpu_table),
        ("Peak memory (maximum resident set size)", memory_table),
    ]
    for title, table in parts:
        out += [f"### {title}", ""]
        for name in lists:
            rows = table(results, fs, name, tools)
            if len(rows) > 2:
                out += [f"**{name}.txt**", "", *rows, ""]
        if out[-2:] == [f"### {title}", ""]:
            out = out[:-2]
    out += ["### Syscalls per installed file (warm cache, fresh environment, hardlink)", ""]
    any_strace = False
    for name in lists:
        rows = strace_table(results, fs, name)
        if rows:
            any_strace = True
            out += [f"**{name}.txt**", "", *rows, ""]
    if not any_strace:
        out += ["_Not recorded in this run._", ""]
    return "\n".join(out).strip()


def machine_section(machine):
    keys = [
        ("cpu", "CPU"),
        ("nproc", "cores (nproc)"),
        ("memory", "memory"),
        ("kernel", "kernel"),
        ("os", "OS"),
        ("disk", "disk (the disk-bound set)"),
        ("tmpfs", "tmpfs (the tmpfs set, the cross-fs cache)"),
        ("cow", "reflink filesystem (clone)"),
        ("python", "Python"),
        ("puffin", "puffin (after)"),
        ("puffin-before", "puffin-before"),
        ("uv", "uv"),
        ("pip", "pip"),
        ("hyperfine", "hyperfine"),
        ("rounds", "rounds per scenario"),
        ("load", "load average"),
    ]
    lines = ["| | |", "|---|---|"]
    for key, label in keys:
        value = machine.get(key) or "–"
        lines.append(f"| {label} | {value} |")
    return "\n".join(lines)


def kept_analysis(output):
    if not output.exists():
        return DEFAULT_ANALYSIS
    text = output.read_text()
    start, end = text.find(START), text.find(END)
    if start == -1 or end == -1 or end < start:
        return DEFAULT_ANALYSIS
    return text[start + len(START) : end].strip("\n") or DEFAULT_ANALYSIS


def tools_of(machine):
    return [t for t in TOOLS if t in machine.get("tools", " ".join(TOOLS)).split()]


def results_section(results, suffix=""):
    machine = read_machine(results)
    lists = lists_of(results)
    return "\n\n".join(fs_section(results, fs, lists, tools_of(machine), suffix) for fs in filesystems_of(results))


def earlier_section(earlier):
    """The earlier run's machine and tables, after this run's."""
    machine = read_machine(earlier)
    date = machine.get("date", "unknown")
    intro = [
        f"## Earlier run: {date}",
        "",
        "The tables below come from an earlier run (its results directory was given as",
        "`BENCH_EARLIER`): the scenarios this run did not repeat are reported as that run",
        f"measured them. Its rounds: {machine.get('rounds', '1')}; its machine and tools:",
        "",
        machine_section(machine),
    ]
    return "\n".join(intro) + "\n\n" + results_section(earlier, f" (earlier run, {date})")


def main():
    results, template, output = (Path(arg) for arg in sys.argv[1:4])
    earlier = [Path(arg) for arg in sys.argv[4:]]
    machine = read_machine(results)
    lists = lists_of(results)
    filesystems = filesystems_of(results)
    notes = [line for line in (results / "notes").read_text().splitlines() if line.strip()] if (
        results / "notes"
    ).exists() else []
    fields = {
        "date": machine.get("date", "unknown"),
        "quick": " Quick mode (`BENCH_QUICK=1`): small.txt only, 1 round of 3 runs." if machine.get("quick") == "1" else "",
        "machine": machine_section(machine),
        "nproc": machine.get("nproc", "?"),
        "rounds": machine.get("rounds", "1"),
        "offline": OFFLINE if machine.get("offline", "1") == "1" else ONLINE,
        "lists": ", ".join(f"`{name}.txt`" for name in lists) or "none",
        "index": MIRROR.format(mirror=machine["mirror"]) if machine.get("mirror") else DEFAULT_INDEX,
        "results": (results_section(results) or "_No results._")
        + "".join("\n\n" + earlier_section(run) for run in earlier),
        "notes": ("\n## Notes from the run\n\n" + "\n".join(f"- {n}" for n in notes) + "\n") if notes else "",
        "analysis": kept_analysis(output),
    }
    text = template.read_text()
    for key, value in fields.items():
        text = text.replace("{{" + key + "}}", value)
    output.write_text(text)


if __name__ == "__main__":
    main()
