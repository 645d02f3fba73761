"""Write BENCHMARKS.md from the results of run.sh.

Usage: python3 report.py RESULTS_DIR TEMPLATE OUTPUT

Reads the hyperfine JSON files (`LIST.SCENARIO.json`), the `/usr/bin/time -v`
outputs (`LIST.SCENARIO.TOOL.time`), the `strace -c -f` summaries
(`LIST.strace.TOOL.txt` with `LIST.strace.TOOL.files`), `machine.txt` and
`notes`, fills the template's `{{...}}` fields and writes OUTPUT. The text
between the analysis markers of an existing OUTPUT is kept.
"""

import json
import re
import statistics
import sys
from pathlib import Path

SCENARIOS = [
    ("hardlink", "1. warm, hardlink", 0.70),
    ("copy", "2. warm, copy", 0.90),
    ("clone", "3. warm, clone (XFS)", 0.80),
    ("cross-fs", "4. warm, cache on another filesystem", 0.90),
    ("noop", "5. no-op", 0.50),
    ("cold", "6. cold cache", 1.00),
    ("uninstall", "7. uninstall", None),
]
MEMORY_TARGET = 1.00
TOOLS = ["puffin", "uv", "pip"]
LIST_ORDER = ["small", "jupyter-pandas"]
OFFLINE = (
    "In every scenario but the cold one, puffin and uv run with `--offline`: the index\n"
    "  used here serves index pages without `Cache-Control` headers, so every warm run\n"
    "  would fetch each page again and the benchmark would time the network. (With an\n"
    "  index that lets pages be cached, as the public one does for ten minutes, a warm\n"
    "  run makes no request either.) pip has no such option and runs as it is; its\n"
    "  warm times include fetching the index pages."
)
ONLINE = (
    "This run used `BENCH_OFFLINE=0`: puffin and uv were allowed to revalidate index\n"
    "  pages in the warm scenarios, as was pip."
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


def medians(path):
    """Median seconds and number of runs per command name of a hyperfine JSON file."""
    data = json.loads(path.read_text())
    return {r["command"]: (statistics.median(r["times"]), len(r["times"])) for r in data["results"]}


def peak_rss_kib(path):
    if not path.exists():
        return None
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", path.read_text())
    return int(match.group(1)) if match else None


def load(path):
    """The load average at the start and the end of a scenario's hyperfine run."""
    if not path.exists():
        return "–"
    return " → ".join(path.read_text().split())


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


def time_table(results, lists, tools):
    rows = []
    for name in lists:
        header = "| scenario | " + " | ".join(tools) + " | puffin/uv | target | | load |"
        rows.append(f"**{name}.txt**\n")
        rows.append(header)
        rows.append("|---" * (len(tools) + 5) + "|")
        for scenario, label, target in SCENARIOS:
            path = results / f"{name}.{scenario}.json"
            try:
                found = medians(path)
            except (OSError, ValueError, KeyError):
                continue
            runs = sorted({n for _, n in found.values()})
            cells = [seconds(found.get(tool, (None, 0))[0]) for tool in tools]
            ratio = ratio_of(found.get("puffin", (None, 0))[0], found.get("uv", (None, 0))[0])
            rows.append(
                f"| {label} ({'/'.join(map(str, runs))} runs) | "
                + " | ".join(cells)
                + f" | {'–' if ratio is None else f'{ratio:.2f}'}"
                + f" | {'–' if target is None else f'≤ {target:.2f}'} | {verdict(ratio, target)}"
                + f" | {load(results / f'{name}.{scenario}.load')} |"
            )
        rows.append("")
    return "\n".join(rows).strip() or "_No results._"


def memory_table(results, lists, tools):
    rows = []
    for name in lists:
        rows.append(f"**{name}.txt**\n")
        rows.append("| scenario | " + " | ".join(tools) + " | puffin/uv | target | |")
        rows.append("|---" * (len(tools) + 4) + "|")
        for scenario, label, _ in SCENARIOS:
            rss = {tool: peak_rss_kib(results / f"{name}.{scenario}.{tool}.time") for tool in tools}
            if all(v is None for v in rss.values()):
                continue
            ratio = ratio_of(rss.get("puffin"), rss.get("uv"))
            rows.append(
                f"| {label} | "
                + " | ".join(mib(rss[tool]) for tool in tools)
                + f" | {'–' if ratio is None else f'{ratio:.2f}'}"
                + f" | ≤ {MEMORY_TARGET:.2f} | {verdict(ratio, MEMORY_TARGET)} |"
            )
        rows.append("")
    return "\n".join(rows).strip() or "_No results._"


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


def strace_section(results, lists):
    out = []
    for name in lists:
        runs = {}
        for tool in ("puffin", "uv"):
            txt = results / f"{name}.strace.{tool}.txt"
            files = results / f"{name}.strace.{tool}.files"
            if txt.exists() and files.exists():
                runs[tool] = (*parse_strace(txt), int(files.read_text().strip() or 0))
        if not runs:
            continue
        tools = list(runs)
        out.append(f"**{name}.txt** — files installed: " + ", ".join(f"{t} {runs[t][3]}" for t in tools) + "\n")
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

        for syscall in ranked[:15]:
            out.append(f"| `{syscall}` | " + cells(lambda t, s=syscall: runs[t][0].get(s, 0)) + " |")
        rest = ranked[15:]
        if rest:
            out.append(
                f"| {len(rest)} others | " + cells(lambda t: sum(runs[t][0].get(s, 0) for s in rest)) + " |"
            )
        out.append("| **all** | " + cells(lambda t: sum(runs[t][0].values())) + " |")
        out.append("| failed calls | " + cells(lambda t: sum(runs[t][1].values())) + " |")
        out.append(
            "| seconds in syscalls that do not wait (strace) | "
            + " | ".join(f"{runs[t][2]:.3f} | –" for t in tools)
            + " |"
        )
        out.append("")
    return "\n".join(out).strip() or "_No strace results._"


def machine_section(machine):
    keys = [
        ("cpu", "CPU"),
        ("nproc", "cores (nproc)"),
        ("memory", "memory"),
        ("kernel", "kernel"),
        ("os", "OS"),
        ("disk", "disk (cache and environments)"),
        ("alt", "other filesystem (cross-fs cache)"),
        ("cow", "reflink filesystem (clone)"),
        ("python", "Python"),
        ("puffin", "puffin"),
        ("uv", "uv"),
        ("pip", "pip"),
        ("hyperfine", "hyperfine"),
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


def main():
    results, template, output = (Path(arg) for arg in sys.argv[1:4])
    machine = read_machine(results)
    tools = [t for t in TOOLS if t in machine.get("tools", " ".join(TOOLS)).split()]
    lists = lists_of(results)
    notes = [line for line in (results / "notes").read_text().splitlines() if line.strip()] if (
        results / "notes"
    ).exists() else []
    fields = {
        "date": machine.get("date", "unknown"),
        "quick": " Quick mode (`BENCH_QUICK=1`): small.txt only, 3 runs." if machine.get("quick") == "1" else "",
        "machine": machine_section(machine),
        "nproc": machine.get("nproc", "?"),
        "offline": OFFLINE if machine.get("offline", "1") == "1" else ONLINE,
        "lists": ", ".join(f"`{name}.txt`" for name in lists) or "none",
        "time_table": time_table(results, lists, tools),
        "memory_table": memory_table(results, lists, tools),
        "strace": strace_section(results, lists),
        "notes": ("\n## Notes from the run\n\n" + "\n".join(f"- {n}" for n in notes) + "\n") if notes else "",
        "analysis": kept_analysis(output),
    }
    text = template.read_text()
    for key, value in fields.items():
        text = text.replace("{{" + key + "}}", value)
    output.write_text(text)


if __name__ == "__main__":
    main()
