"""Write a static PEP 503 simple index over a directory of wheels.

Usage: python3 mirror.py WHEELS_DIR OUT_DIR

OUT_DIR gets `simple/index.html` listing the projects and
`simple/<normalized name>/index.html` for each project, linking
to `files/<wheel>` with its `#sha256=` fragment, and `files/` as symbolic
links to the wheels. Serve OUT_DIR with `python3 -m http.server` and use
`http://127.0.0.1:PORT/simple` as the index URL: every tool then fetches one
page per project and then the wheels, as from a real index, with the network
out of the measurement.
"""

import hashlib
import html
import os
import re
import sys
from collections import defaultdict


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def main() -> None:
    wheels, out = sys.argv[1], sys.argv[2]
    files_dir = os.path.join(out, "files")
    os.makedirs(files_dir, exist_ok=True)
    projects = defaultdict(list)
    for name in sorted(os.listdir(wheels)):
        if not name.endswith((".whl", ".tar.gz", ".zip")):
            continue
        source = os.path.abspath(os.path.join(wheels, name))
        link = os.path.join(files_dir, name)
        if not os.path.lexists(link):
            os.symlink(source, link)
        project = normalize(name.split("-", 1)[0])
        projects[project].append((name, sha256(source)))
    for project, files in projects.items():
        page_dir = os.path.join(out, "simple", project)
        os.makedirs(page_dir, exist_ok=True)
        links = "\n".join(
            f'<a href="../../files/{html.escape(name)}#sha256={digest}">{html.escape(name)}</a><br>'
            for name, digest in files
        )
        with open(os.path.join(page_dir, "index.html"), "w") as page:
            page.write(f"<!DOCTYPE html>\n<html><body>\n{links}\n</body></html>\n")
    root_links = "\n".join(f'<a href="{name}/">{name}</a><br>' for name in sorted(projects))
    with open(os.path.join(out, "simple", "index.html"), "w") as page:
        page.write(f"<!DOCTYPE html>\n<html><body>\n{root_links}\n</body></html>\n")
    print(f"{len(projects)} projects, {sum(map(len, projects.values()))} files in {out}")


if __name__ == "__main__":
    main()
