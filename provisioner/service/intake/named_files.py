"""Named files, now (`provisioner process`): a copy of each taken into the work folder as a claimed file,
the original left where it is."""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from provisioner.domain.vocabulary import Door
from provisioner.service.context import ServiceContext
from provisioner.service.intake import drop as intake
from provisioner.service.intake.names import display_name
from provisioner.service.intake.workspace import Workspace


def take_copy(ctx: ServiceContext, workspace: Workspace, path: Path) -> Path:
    """Copy `path` into the work folder as a claimed file (the original stays where it is)."""
    now = ctx.clock()
    target = workspace.folder / f"C{now:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"
    # A name that is not valid UTF-8 (an SMB share, a zip tool) is kept readable, never refused.
    name = display_name(path.name)
    workspace.write_sidecar(target, name, now, intake.Origin(Door.PROCESS))
    staging = target.with_name(f".{target.name}.tmp")
    try:
        shutil.copyfile(path, staging)
        os.rename(staging, target)
    except BaseException:
        staging.unlink(missing_ok=True)
        workspace.release(target)
        raise
    return target
