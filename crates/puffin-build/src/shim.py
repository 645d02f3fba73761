"""Call one PEP 517 / PEP 660 hook of a build backend for puffin.

Usage: python shim.py INPUT.json RESULT.json

INPUT.json holds {"backend": "module:object", "backend_path": [...],
"hook": "build_wheel", "args": [...]}. The outcome is written to RESULT.json
(never to stdout, which belongs to the backend) as one of:

    {"status": "ok", "value": <what the hook returned>}
    {"status": "missing"}                      the optional hook is not defined
    {"status": "import-error", "message": ...} the backend could not be imported
    {"status": "error", "message": ...}        the hook raised

Tracebacks go to stderr, which puffin captures with stdout.

The process runs with the source tree as its working directory, but neither
the working directory nor this script's directory is on sys.path: running a
script puts the script's directory (not the working directory) first on
sys.path, and that entry is removed here. The backend-path entries are put
first instead (PEP 517: "backend-path ... inserted at the start of
sys.path"). PYTHONPATH is left to the caller's environment (puffin clears it
for isolated builds and keeps it for builds in the target environment, as
pip does), which is why the script is not run with `-I`.
"""

import importlib
import json
import os
import sys
import traceback


def write_result(path, result):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(result, f)


def describe(exc):
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


def load_backend(spec, backend_path):
    module_name, _, object_path = spec.partition(":")
    module = importlib.import_module(module_name.strip())
    if backend_path:
        # PEP 517: an in-tree backend must be loaded from backend-path, not
        # from an installed package of the same name.
        location = os.path.realpath(getattr(module, "__file__", None) or "")
        roots = [os.path.realpath(entry) for entry in backend_path]
        if not any(location.startswith(root + os.sep) for root in roots):
            raise ImportError(
                "the backend {!r} was loaded from {!r}, not from backend-path {!r}".format(
                    spec, location, backend_path
                )
            )
    backend = module
    for name in object_path.strip().split(".") if object_path.strip() else []:
        backend = getattr(backend, name)
    return backend


def main():
    input_path, result_path = sys.argv[1], sys.argv[2]
    with open(input_path, encoding="utf-8") as f:
        request = json.load(f)

    script_dir = os.path.dirname(os.path.realpath(__file__))
    if sys.path and os.path.realpath(sys.path[0] or os.curdir) == script_dir:
        del sys.path[0]
    sys.path[0:0] = request["backend_path"]

    try:
        backend = load_backend(request["backend"], request["backend_path"])
    except Exception as exc:
        traceback.print_exc()
        sys.stderr.flush()
        write_result(result_path, {"status": "import-error", "message": describe(exc)})
        return 1

    hook = getattr(backend, request["hook"], None)
    if hook is None:
        write_result(result_path, {"status": "missing"})
        return 0

    try:
        value = hook(*request["args"])
    except Exception as exc:
        traceback.print_exc()
        sys.stdout.flush()
        sys.stderr.flush()
        write_result(result_path, {"status": "error", "message": describe(exc)})
        return 1

    sys.stdout.flush()
    sys.stderr.flush()
    try:
        json.dumps(value)
    except (TypeError, ValueError) as exc:
        message = "the hook returned {!r}, which is not JSON: {}".format(value, exc)
        write_result(result_path, {"status": "error", "message": message})
        return 1
    write_result(result_path, {"status": "ok", "value": value})
    return 0


if __name__ == "__main__":
    sys.exit(main())
