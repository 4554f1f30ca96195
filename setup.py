"""Ships the top-level ``fixtures/`` folder inside the wheel as ``mockllm/bundled_fixtures/``.

Why a build step and not a second copy or a symlink: ``fixtures/`` stays the one source of truth that
``make run``, the tests and readers of the repository use, while ``pip install`` (wheel or sdist, on any
platform; a symlink does not survive every sdist and checkout) gets the same files inside the package,
where ``mockllm serve`` finds them by default. Everything else about the build is in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SOURCE = ROOT / "fixtures"
TARGET = Path("mockllm") / "bundled_fixtures"
SUFFIXES = {".yaml", ".yml", ".json"}


class BuildWithFixtures(build_py):
    """``build_py``, plus the bundled fixtures copied into the built package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads fixtures/ from the checkout itself
            return
        for source in sorted(SOURCE.rglob("*")):
            if source.is_file() and source.suffix in SUFFIXES:
                target = Path(self.build_lib) / TARGET / source.relative_to(SOURCE)
                self.mkpath(str(target.parent))
                self.copy_file(str(source), str(target))


setup(cmdclass={"build_py": BuildWithFixtures})
