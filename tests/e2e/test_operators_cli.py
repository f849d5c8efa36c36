"""`provisioner operators …`: the back office's people, through the real CLI in a process of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.service_env import run_provisioner, service_env


@pytest.mark.slow
def test_the_operators_commands_add_list_reset_disable_enable_change_roles_and_keep_one_admin(
        tmp_path: Path) -> None:
    # One operator's life (each command a process of its own, so one scenario rather than two that
    # started alike): added, listed, refused twice, reset, disabled, enabled again, roles changed.
    env = service_env(tmp_path)
    run_provisioner(tmp_path, env, "operators", "add", "Amina", "--role", "admin", "--password-stdin",
                    input_text="mot-de-passe-amina\n")
    # Without the flag it prompts twice; two different entries are asked again.
    prompted = run_provisioner(tmp_path, env, "operators", "add", "said", "--role", "lecture",
                               input_text="mot-de-passe-said\nmot-de-passe-said\n")
    assert "said ajouté" in prompted.stdout
    listed = run_provisioner(tmp_path, env, "operators", "list", "--json").stdout
    assert '"login": "amina"' in listed and '"role": "lecture"' in listed and "argon2" not in listed
    duplicate = run_provisioner(tmp_path, env, "operators", "add", "AMINA", "--role", "lecture",
                                "--password-stdin", input_text="mot-de-passe-autre\n", expect=1)
    assert "déjà le login amina" in duplicate.stderr
    short = run_provisioner(tmp_path, env, "operators", "add", "omar", "--role", "lecture", "--password-stdin",
                            input_text="court\n", expect=1)
    assert "12 à 128 caractères" in short.stderr
    run_provisioner(tmp_path, env, "operators", "reset-password", "said", "--password-stdin",
                    input_text="nouveau-mot-de-passe\n")
    run_provisioner(tmp_path, env, "operators", "disable", "said")
    assert '"active": false' in run_provisioner(tmp_path, env, "operators", "list", "--json").stdout
    unknown = run_provisioner(tmp_path, env, "operators", "disable", "personne", expect=1)
    assert "Aucun opérateur" in unknown.stderr
    enabled = run_provisioner(tmp_path, env, "operators", "enable", "said")
    assert "said réactivé" in enabled.stdout

    # said is active again, but not an admin: amina is the last active administrator.
    last = run_provisioner(tmp_path, env, "operators", "disable", "amina", expect=1)
    assert "amina est le dernier administrateur actif" in last.stderr and "Traceback" not in last.stderr
    demoted = run_provisioner(tmp_path, env, "operators", "role", "amina", "lecture", expect=1)
    assert "dernier administrateur actif" in demoted.stderr
    run_provisioner(tmp_path, env, "operators", "role", "said", "admin")
    run_provisioner(tmp_path, env, "operators", "role", "amina", "validation")  # said is an admin now
    roles = run_provisioner(tmp_path, env, "operators", "list", "--json").stdout
    assert '"role": "validation"' in roles and '"last_sign_in_at": null' in roles
    bad = run_provisioner(tmp_path, env, "operators", "role", "said", "root", expect=2)
    assert "root" in bad.stderr

    stored = b"".join(path.read_bytes() for path in (tmp_path / "var").glob("provisioner.db*"))
    for secret in ("mot-de-passe-amina", "mot-de-passe-said", "nouveau-mot-de-passe"):
        assert secret not in listed and secret not in roles  # only argon2id hashes are kept
        assert secret.encode() not in stored
