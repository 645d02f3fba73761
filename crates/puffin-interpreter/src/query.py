"""Describe this interpreter as one JSON object on stdout.

puffin runs this once per interpreter (keyed by path and modification time)
and caches the answer, so nothing here needs to be fast, but it must never
print anything else and must work on every supported Python (3.8+).
"""

import json
import os
import platform
import struct
import sys
import sysconfig


def markers():
    """The PEP 508 marker environment, computed as the specification says."""

    def format_full_version(info):
        version = "{0.major}.{0.minor}.{0.micro}".format(info)
        kind = info.releaselevel
        if kind != "final":
            version += kind[0] + str(info.serial)
        return version

    return {
        "implementation_name": sys.implementation.name,
        "implementation_version": format_full_version(sys.implementation.version),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_python_implementation": platform.python_implementation(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


def pip_default_index():
    """The default index URL of pip, from pip's own constants.

    First the pip this interpreter imports; inside a virtual environment
    without pip, the pip of the base interpreter's site-packages; last, the
    pip wheel that `ensurepip` bundles with the standard library.
    """

    def read():
        from pip._internal.models.index import PyPI

        return PyPI.simple_url

    try:
        return read()
    except Exception:
        pass

    candidates = []
    try:
        import site

        candidates.extend(site.getsitepackages([sys.base_prefix]))
    except Exception:
        pass
    bundled = os.path.join(sysconfig.get_path("stdlib"), "ensurepip", "_bundled")
    try:
        candidates.extend(
            os.path.join(bundled, name)
            for name in sorted(os.listdir(bundled))
            if name.startswith("pip-") and name.endswith(".whl")
        )
    except OSError:
        pass

    for candidate in candidates:
        if not os.path.exists(candidate):
            continue
        sys.path.insert(0, candidate)
        for module in list(sys.modules):
            if module == "pip" or module.startswith("pip."):
                del sys.modules[module]
        try:
            return read()
        except Exception:
            pass
        finally:
            sys.path.remove(candidate)
    return None


def externally_managed():
    """PEP 668: the `Error` message of `EXTERNALLY-MANAGED` in the stdlib
    directory, a default message if the file has none, None if absent."""
    path = os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")
    if not os.path.isfile(path):
        return None
    default = "The Python environment at {} is externally managed ({}).".format(
        sys.prefix, path
    )
    try:
        import configparser

        parser = configparser.ConfigParser(interpolation=None)
        parser.read(path, encoding="utf-8")
        message = parser.get("externally-managed", "Error", fallback=None)
    except Exception:
        message = None
    return message.strip() if message and message.strip() else default


def base_executable():
    """The interpreter a virtual environment was made from.

    Before 3.11, `sys._base_executable` inside a virtual environment on POSIX
    is the environment's own `bin/python`; then the `home` key of
    `pyvenv.cfg` names the base interpreter's directory.
    """
    base = getattr(sys, "_base_executable", None)
    if sys.prefix == getattr(sys, "base_prefix", sys.prefix):
        return base or sys.executable
    prefix = os.path.realpath(sys.prefix)
    if base and not os.path.realpath(os.path.dirname(base)).startswith(prefix + os.sep):
        return base
    try:
        with open(os.path.join(sys.prefix, "pyvenv.cfg"), encoding="utf-8") as cfg:
            for line in cfg:
                key, _, value = line.partition("=")
                if key.strip().lower() == "home":
                    home = value.strip()
                    break
            else:
                return base
    except OSError:
        return base
    major, minor = sys.version_info[:2]
    for name in (
        "python{}.{}".format(major, minor),
        "python{}".format(major),
        "python",
    ):
        candidate = os.path.join(home, name)
        if os.path.isfile(candidate):
            return candidate
    return base


def include_dir(paths):
    """Where installers put the C headers of wheels, as pip does.

    In a virtual environment, `sysconfig` names the base interpreter's include
    directory (e.g. `/usr/include/python3.11`), outside the environment:
    headers go to `<venv>/include/site/python3.X` instead.
    """
    if sys.prefix != getattr(sys, "base_prefix", sys.prefix):
        return os.path.join(
            sys.prefix, "include", "site", "python{}.{}".format(*sys.version_info[:2])
        )
    return paths["include"]


def config_flag(name):
    value = sysconfig.get_config_var(name)
    return bool(value)


def main():
    paths = sysconfig.get_paths()
    answer = {
        "sys_executable": sys.executable,
        "python_version": list(sys.version_info[:3]),
        "implementation_name": sys.implementation.name,
        "implementation_version": list(sys.implementation.version[:2]),
        "prefix": sys.prefix,
        "base_prefix": getattr(sys, "base_prefix", sys.prefix),
        "base_executable": base_executable(),
        "scheme": {
            "purelib": paths["purelib"],
            "platlib": paths["platlib"],
            "scripts": paths["scripts"],
            "data": paths["data"],
            "include": include_dir(paths),
        },
        "markers": markers(),
        "pointer_size": struct.calcsize("P") * 8,
        "gil_disabled": config_flag("Py_GIL_DISABLED"),
        "debug": config_flag("Py_DEBUG") or hasattr(sys, "gettotalrefcount"),
        "sysconfig_platform": sysconfig.get_platform(),
        "pip_default_index": pip_default_index(),
        "externally_managed": externally_managed(),
    }
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    main()
