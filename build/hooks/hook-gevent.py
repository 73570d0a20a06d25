"""gevent, without its test suite (overrides PyInstaller's hook, whose filter lets gevent.tests through
and then warns about hundreds of test modules it cannot find)."""

from PyInstaller.utils.hooks import collect_all, copy_metadata

excludedimports = ["gevent.testing", "gevent.tests"]

datas, binaries, hiddenimports = collect_all(
    "gevent",
    filter_submodules=lambda name: not name.startswith(("gevent.testing", "gevent.tests")),
    include_py_files=False,
    exclude_datas=["**/tests"],
)
# gevent checks its dependencies through their metadata.
datas += copy_metadata("gevent", recursive=True)
