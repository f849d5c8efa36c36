"""pandera, imported without the test libraries that its data-synthesis strategies pull in.

pandera's built-in checks import its hypothesis strategies at module level. Where
hypothesis is installed (the test extra), that imports hypothesis, and hypothesis's
plugins import trio and pytest: about 0.3 s and the first validation's memory in
every `provisioner check` process, for strategies that only generate test data,
which the service never does. So hypothesis is hidden from that one import, and
pandera falls back as it does when hypothesis is absent (its strategies then
say so if called). A process that has already imported hypothesis (the test
suite) keeps it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

HIDDEN = "hypothesis"


@contextmanager
def _hidden(name: str) -> Iterator[None]:
    if name in sys.modules:
        yield
        return
    sys.modules[name] = None  # type: ignore[assignment]  # `import name` now raises ImportError
    try:
        yield
    finally:
        if name in sys.modules and sys.modules[name] is None:
            del sys.modules[name]


with _hidden(HIDDEN):
    # Imported by pandera at the first validation otherwise, outside this block.
    import pandera.backends.pandas.builtin_checks  # noqa: F401
    import pandera.pandas as pa

__all__ = ["pa"]
