"""What a check imports at run time: pandas and pandera, never a test library (issue 23).

pandera's built-in checks import its hypothesis strategies, and hypothesis's plugins
import trio and pytest: workbook/validation_stack.py hides hypothesis from that import.
Run in a fresh interpreter, where nothing has imported hypothesis before the check.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.factory import make_workbook, user
from tests.service_env import REPO

TEST_LIBRARIES = {"hypothesis", "trio", "pytest", "_pytest"}

SCRIPT = """
import json, sys
from provisioner.workbook.checker import check_file
result = check_file(sys.argv[1])
loaded = sorted({name.split(".")[0] for name, module in sys.modules.items() if module is not None})
print(json.dumps({"codes": sorted(f.code for f in result.errors), "modules": loaded}))
"""


def test_a_check_validates_with_pandera_without_importing_a_test_library(tmp_path: Path) -> None:
    book = make_workbook(tmp_path / "b.xlsx", users={"td_interne": [user("hind.td", email="pas-une-adresse")]})
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(book)], cwd=REPO, capture_output=True, text=True,
                          timeout=120, check=True)
    seen = json.loads(done.stdout)
    assert seen["codes"] == ["INVALID_FORMAT"]  # pandera's check ran and judged the cell
    assert {"pandas", "pandera"} <= set(seen["modules"])
    assert not TEST_LIBRARIES & set(seen["modules"]), sorted(TEST_LIBRARIES & set(seen["modules"]))
