"""puffin's test build backend (PEP 517 and PEP 660), shipped in a test
project's `_backend/` directory and named by `backend-path`.

It reads the project from `pyproject.toml`'s `[tool.puffin-test]` table
(written by `ProjectBuilder`): `name`, `version`, `requires_dist` (a list),
`package` (the directory of the importable package), `imports` (modules
the build imports: build requirements), `fail` (print 60 lines, then raise), `extra_requires` (what get_requires_for_build_* returns).
Every build appends `<hook> <name>` to the file named by the
`PUFFIN_TEST_BUILD_LOG` environment variable, if set, and nothing is written
into the project.
"""

import base64
import hashlib
import io
import os
import zipfile

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None


def _config():
    with open("pyproject.toml", "rb") as f:
        data = tomllib.load(f)
    return data["tool"]["puffin-test"]


def _log(hook):
    path = os.environ.get("PUFFIN_TEST_BUILD_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write("{} {}\n".format(hook, _config()["name"]))


def _fail_if_asked():
    # Build requirements the project imports while building.
    for module in _config().get("imports", []):
        __import__(module)
    if _config().get("fail"):
        for number in range(1, 61):
            print("build output line {}".format(number))
        raise RuntimeError("the test backend was told to fail")


def _names():
    config = _config()
    name = config["name"].replace("-", "_")
    return config, name, "{}-{}".format(name, config["version"])


def _metadata_text():
    config = _config()
    lines = ["Metadata-Version: 2.1", "Name: " + config["name"], "Version: " + config["version"]]
    lines += ["Requires-Dist: " + requirement for requirement in config.get("requires_dist", [])]
    return "\n".join(lines) + "\n"


def _write_wheel(directory, files):
    config, name, stem = _names()
    dist_info = stem + ".dist-info"
    files = dict(files)
    files[dist_info + "/METADATA"] = _metadata_text().encode()
    files[dist_info + "/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: puffin-test-backend\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = []
    for path, data in sorted(files.items()):
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append("{},sha256={},{}".format(path, digest, len(data)))
    record.append(dist_info + "/RECORD,,")
    files[dist_info + "/RECORD"] = ("\n".join(record) + "\n").encode()
    filename = stem + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(directory, filename), "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return filename


def _package_files():
    package = _config().get("package")
    files = {}
    if not package:
        return files
    for root, _dirs, names in os.walk(package):
        for filename in names:
            if filename.endswith(".pyc"):
                continue
            path = os.path.join(root, filename)
            with open(path, "rb") as f:
                files[path.replace(os.sep, "/")] = f.read()
    return files


def get_requires_for_build_wheel(config_settings=None):
    return list(_config().get("extra_requires", []))


def get_requires_for_build_editable(config_settings=None):
    return list(_config().get("extra_requires", []))


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    _log("prepare_metadata_for_build_wheel")
    _config_, _name, stem = _names()
    dist_info = os.path.join(metadata_directory, stem + ".dist-info")
    os.makedirs(dist_info)
    with open(os.path.join(dist_info, "METADATA"), "w", encoding="utf-8") as f:
        f.write(_metadata_text())
    return stem + ".dist-info"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _log("build_wheel")
    _fail_if_asked()
    files = _package_files()
    if config_settings:
        files["config_settings.txt"] = repr(sorted(config_settings.items())).encode()
    return _write_wheel(wheel_directory, files)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    _log("build_editable")
    _fail_if_asked()
    _config_, name, _stem = _names()
    pth = (os.path.abspath(os.getcwd()) + "\n").encode()
    return _write_wheel(wheel_directory, {"_editable_" + name + ".pth": pth})
