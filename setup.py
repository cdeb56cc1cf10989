"""Packaging glue pyproject.toml cannot express: install ``policies/`` as ``enforcer.packs``.

The packs live at the top of the repository (where people look for them) but must
ship inside the package, so ``pip install .`` maps the folder into ``enforcer``.
"""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["enforcer", "enforcer.*", "connectors", "connectors.*"])
    + ["enforcer.packs"],
    package_dir={"enforcer.packs": "policies"},
)
