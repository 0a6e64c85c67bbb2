"""What pyproject.toml cannot say: a wheel carries the migrations and the default configuration.

In the git checkout they stay where people edit them, at the top (sql/, config/);
a built wheel has them inside the package (server/sql/, server/config/), so that
an installed `renkei migrate` creates the tables and `renkei serve` finds its
defaults without RENKEI_CONFIG. server/settings.py looks in both places.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = {"sql": "*.sql", "config": "*.toml"}


class BuildWithMigrationsAndConfig(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads them from the checkout
            return
        for folder, pattern in SHIPPED.items():
            target = Path(self.build_lib) / "server" / folder
            target.mkdir(parents=True, exist_ok=True)
            for source in sorted(Path(folder).glob(pattern)):
                shutil.copyfile(source, target / source.name)


setup(cmdclass={"build_py": BuildWithMigrationsAndConfig})
