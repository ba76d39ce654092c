"""Package layout that pyproject.toml alone cannot say: the top-level ``resources/`` folder
ships inside the wheel as ``labeldesk.resources`` (found with ``importlib.resources``)."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["labeldesk", "labeldesk.*"]) + ["labeldesk.resources"],
    package_dir={"labeldesk.resources": "resources"},
)
