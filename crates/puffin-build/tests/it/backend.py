"""A tiny PEP 517 / PEP 660 backend for puffin-build's tests.

It lives in the test's source tree under `_backend/` (`backend-path`) and is
steered by `fixture.json` in the source tree (the hooks' working directory):

- name, version: the project;
- extra_requires: what get_requires_for_build_{wheel,editable} return;
- no_prepare: leave prepare_metadata_for_build_wheel undefined;
- fail: print 100 numbered lines, then raise;
- sleep: start a child process, write its pid to `child.pid`, then sleep;
- return_name: return this instead of the wheel's name;
- exit: call sys.exit with this code in build_wheel;
- no_editable: leave the PEP 660 hooks undefined;
- exclusive: a directory where each build holds `running` while it builds,
  failing if another build holds it.

Every hook appends its name to `hooks.log` and writes what it saw to
`probe-<hook>.json`.
"""

import base64
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import time
import zipfile

with open("fixture.json", encoding="utf-8") as f:
    FIXTURE = json.load(f)
NAME = FIXTURE.get("name", "demo")
VERSION = FIXTURE.get("version", "1.0")
DIST_INFO = "{}-{}.dist-info".format(NAME, VERSION)


def _probe(hook, config_settings, **extra):
    with open("hooks.log", "a", encoding="utf-8") as f:
        f.write(hook + "\n")
    probe = {
        "cwd": os.getcwd(),
        "sys_path": sys.path,
        "sys_prefix": sys.prefix,
        "sys_executable": sys.executable,
        "config_settings": config_settings,
        "helper_importable": importlib.util.find_spec("helper_in_tree") is not None,
        "pythonnousersite": os.environ.get("PYTHONNOUSERSITE"),
    }
    probe.update(extra)
    with open("probe-{}.json".format(hook), "w", encoding="utf-8") as f:
        json.dump(probe, f)


def _metadata():
    return "Metadata-Version: 2.1\nName: {}\nVersion: {}\nRequires-Dist: dep-of-demo\n".format(
        NAME, VERSION
    )


def _record_line(path, content):
    digest = hashlib.sha256(content).digest()
    encoded = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return "{},sha256={},{}\n".format(path, encoded, len(content))


def _write_wheel(directory, files):
    files = dict(files)
    files[DIST_INFO + "/METADATA"] = _metadata()
    files[DIST_INFO + "/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: testbackend\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = ""
    for path, content in files.items():
        record += _record_line(path, content.encode())
    files[DIST_INFO + "/RECORD"] = record + DIST_INFO + "/RECORD,,\n"
    name = "{}-{}-py3-none-any.whl".format(NAME, VERSION)
    with zipfile.ZipFile(os.path.join(directory, name), "w") as archive:
        for path, content in files.items():
            archive.writestr(path, content)
    return FIXTURE.get("return_name", name)


def _misbehave():
    if FIXTURE.get("fail"):
        for number in range(1, 101):
            print("output line {}".format(number))
        raise RuntimeError("the build failed on purpose")
    if "exit" in FIXTURE:
        print("exiting", flush=True)
        sys.exit(FIXTURE["exit"])
    if FIXTURE.get("sleep"):
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        with open("child.pid", "w", encoding="utf-8") as f:
            f.write(str(child.pid))
        print("sleeping", flush=True)
        time.sleep(600)


def get_requires_for_build_wheel(config_settings=None):
    _probe("get_requires_for_build_wheel", config_settings)
    return FIXTURE.get("extra_requires", [])


if not FIXTURE.get("no_editable"):

    def get_requires_for_build_editable(config_settings=None):
        _probe("get_requires_for_build_editable", config_settings)
        return FIXTURE.get("extra_requires", [])

    def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
        _probe("build_editable", config_settings)
        _misbehave()
        return _write_wheel(wheel_directory, {NAME + ".pth": os.getcwd() + "\n"})


if not FIXTURE.get("no_prepare"):

    def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
        _probe("prepare_metadata_for_build_wheel", config_settings)
        os.makedirs(os.path.join(metadata_directory, DIST_INFO))
        with open(os.path.join(metadata_directory, DIST_INFO, "METADATA"), "w") as f:
            f.write(_metadata())
        return DIST_INFO


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _probe("build_wheel", config_settings, wheel_directory=wheel_directory)
    _misbehave()
    exclusive = FIXTURE.get("exclusive")
    if exclusive:
        marker = os.path.join(exclusive, "running")
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        os.close(fd)
        time.sleep(0.2)
        os.remove(marker)
    module = "{}/__init__.py".format(NAME)
    return _write_wheel(wheel_directory, {module: "VALUE = 1\n"})

