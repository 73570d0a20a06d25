"""PyInstaller runtime hook (one-file Linux build): binaries a default start never loads are unpacked
when their package is first imported, not at every start.

The one-file bootloader writes every bundled file to ``$TMPDIR/_MEI…`` on every start and inflates the
compressed ones: for the shared libraries of Pillow (uploads' thumbnails), psycopg's binary build
(PostgreSQL) and cryptography's Rust bindings (HTTPS set-up, single sign-on) that was ~33 MB and ~80
files per start, none of them loaded on SQLite until a feature asks (docs/PERFORMANCE.md). messenger.spec
moves them into ``lazy-binaries.zip`` (stored as it is in the one file, so the bootloader only copies it)
and lists them in ``lazy-binaries.json``: ``{"groups": {top-level package: {"files": [...],
"symlinks": [[link, target], ...]}}}``. The finder below unpacks a group into the same folder, with
the same layout and links PyInstaller gives them, the first time its package is imported; the normal
finders then import it from there. The bootloader removes the folder, unpacked files included, at exit.
"""

import json
import os
import sys
import threading

ARCHIVE = "lazy-binaries.zip"
MANIFEST = "lazy-binaries.json"


class LazyBinaries:
    """A meta path finder that never finds anything: it unpacks a package's binaries before the
    normal finders look for them. Stays in ``sys.meta_path`` (removing a finder while the import
    system walks that list would skip the next one); a lookup is one dict access once all are out."""

    def __init__(self, base: str, groups: dict) -> None:
        self.base = base
        self.groups = groups
        self.lock = threading.Lock()

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        top = fullname.partition(".")[0]
        if top in self.groups:
            with self.lock:  # another thread may be importing the same package
                group = self.groups.get(top)
                if group is not None:
                    self._unpack(top, group)
                    del self.groups[top]
        return None

    def _unpack(self, top: str, group: dict) -> None:
        import zipfile

        try:
            with zipfile.ZipFile(os.path.join(self.base, ARCHIVE)) as archive:
                for name in group["files"]:
                    archive.extract(name, self.base)
            for link, target in group["symlinks"]:
                path = os.path.join(self.base, link)
                if not os.path.lexists(path):
                    os.symlink(target, path)
        except OSError as exc:  # e.g. a full temporary folder: the import fails, as any missing module's would
            raise ImportError(f"cannot unpack the binaries of {top} into {self.base}: {exc}", name=top) from exc

    def invalidate_caches(self) -> None:
        pass


def _install() -> None:
    base = getattr(sys, "_MEIPASS", None)
    if not base or not os.path.isfile(os.path.join(base, MANIFEST)):
        return
    with open(os.path.join(base, MANIFEST), encoding="utf-8") as fp:
        groups = json.load(fp)["groups"]
    sys.meta_path.insert(0, LazyBinaries(base, groups))


_install()
