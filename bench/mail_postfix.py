"""A private Postfix instance for the mail benchmark: loopback only, delivering to a Maildir.

Debian's package (installed with apt-get when missing). The instance lives entirely in a
temporary directory: its own ``config_directory`` (``postfix -c DIR start``), queue and data
directories, a master.cf copied from the package's with every service unchrooted and the
SMTP listener moved to ``127.0.0.1:<free port>``. Mail for the privacy address goes through
the ``virtual`` delivery agent into one Maildir. The system's default instance is not touched
except that DIR is named in its ``alternate_config_directories`` (Postfix refuses ``-c`` on an
unlisted directory), which is removed again on stop.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

DEFAULT_MAIN_CF = Path("/etc/postfix/main.cf")
DEFAULT_MASTER_CF = Path("/etc/postfix/master.cf")


def ensure_installed() -> None:
    if shutil.which("postfix") and DEFAULT_MASTER_CF.exists():
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "postfix"], check=True, env=env, stdout=subprocess.DEVNULL)


def postfix_version() -> str:
    return subprocess.run(
        ["postconf", "-d", "-h", "mail_version"], check=True, capture_output=True, text=True
    ).stdout.strip()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _master_cf(port: int) -> str:
    """The package's master.cf: SMTP on loopback:port, no chroot (the temp dir has no /etc copy)."""
    lines = []
    for line in DEFAULT_MASTER_CF.read_text().splitlines():
        fields = line.split()
        if line and not line[0].isspace() and not line.startswith("#") and len(fields) >= 8:
            if fields[0] in ("submission", "smtps", "628"):
                continue
            if fields[0] == "smtp" and fields[1] == "inet":
                fields[0] = f"127.0.0.1:{port}"
            fields[4] = "n"
            line = "  ".join(fields)
        lines.append(line)
    return "\n".join(lines) + "\n"


class PrivatePostfix:
    def __init__(self, root: Path, *, domain: str, mailbox: str, message_size_limit: int) -> None:
        self.root = root
        self.config = root / "etc"
        self.maildir_base = root / "mail"
        self.domain = domain
        self.mailbox = mailbox
        self.message_size_limit = message_size_limit
        self.port = 0

    def _main_cf(self) -> str:
        owner = pwd.getpwnam("postfix")
        settings = {
            "compatibility_level": "3.6",
            "queue_directory": str(self.root / "queue"),
            "data_directory": str(self.root / "data"),
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": "bench-postfix.localdomain",
            "mydestination": "",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "maillog_file": str(self.root / "maillog"),
            "maillog_file_prefixes": str(self.root),
            "biff": "no",
            "message_size_limit": str(self.message_size_limit),
            "virtual_mailbox_domains": self.domain,
            "virtual_mailbox_base": str(self.maildir_base),
            # One Maildir (trailing slash) for every recipient of the domain.
            "virtual_mailbox_maps": "static:privacy/",
            "virtual_uid_maps": f"static:{owner.pw_uid}",
            "virtual_gid_maps": f"static:{owner.pw_gid}",
            "virtual_minimum_uid": "1",
            # Postfix at its fastest: no arrival throttling, no per-client limits, enough smtpd processes.
            "in_flow_delay": "0s",
            "smtpd_client_connection_count_limit": "0",
            "smtpd_client_connection_rate_limit": "0",
            "default_process_limit": "200",
            "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
        }
        return "".join(f"{key} = {value}\n" for key, value in settings.items())

    def _listed(self, add: bool) -> None:
        current = subprocess.run(
            ["postconf", "-h", "alternate_config_directories"], check=True, capture_output=True, text=True
        ).stdout.strip()
        entries = [entry for entry in re.split(r"[\s,]+", current) if entry and entry != str(self.config)]
        if add:
            entries.append(str(self.config))
        subprocess.run(["postconf", "-e", f"alternate_config_directories = {' '.join(entries)}"], check=True)

    def start(self) -> int:
        self.port = _free_port()
        self.config.mkdir(parents=True)
        for sub in ("queue", "data"):
            (self.root / sub).mkdir()
        self.maildir_base.mkdir()
        owner = pwd.getpwnam("postfix")
        os.chown(self.maildir_base, owner.pw_uid, owner.pw_gid)
        os.chown(self.root / "data", owner.pw_uid, owner.pw_gid)
        (self.config / "main.cf").write_text(self._main_cf())
        (self.config / "master.cf").write_text(_master_cf(self.port))
        self._listed(True)
        for action in ("check", "start"):
            done = subprocess.run(["postfix", "-c", str(self.config), action], capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"postfix {action} failed: {done.stderr.strip()} (see {self.root / 'maillog'})")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as probe:
                    if probe.recv(512).startswith(b"220"):
                        return self.port
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("private Postfix did not start listening")

    def delivered(self) -> int:
        new = self.maildir_base / "privacy" / "new"
        return sum(1 for _ in new.iterdir()) if new.exists() else 0

    def queued(self) -> int:
        result = subprocess.run(
            ["postqueue", "-c", str(self.config), "-j"], capture_output=True, text=True, check=False
        )
        return len([line for line in result.stdout.splitlines() if line.strip()])

    def stop(self) -> None:
        subprocess.run(["postfix", "-c", str(self.config), "stop"], check=False, capture_output=True)
        self._listed(False)
