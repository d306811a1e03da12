"""LibreOffice headless as the PDF converter for previews (optional: only when installed).

Each conversion runs in its own private temporary directory (the decrypted input,
the output and a throw-away LibreOffice profile, so that concurrent conversions
never share one), which is removed afterwards whatever happens. The result is
not stored. A conversion that takes too long is killed with its whole process
group (soffice starts soffice.bin as a child).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

PROGRAMS = ("soffice", "libreoffice")
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def find_program() -> str | None:
    """The LibreOffice command on PATH, or None."""
    for name in PROGRAMS:
        found = shutil.which(name)
        if found:
            return found
    return None


class LibreOfficeConverter:
    def __init__(self, program: str, *, timeout_seconds: float = 60) -> None:
        self.program = program
        self.timeout_seconds = timeout_seconds

    def to_pdf(self, content: bytes, suffix: str) -> bytes | None:
        with tempfile.TemporaryDirectory(prefix="eakte-vorschau-") as work:  # mode 0700
            folder = Path(work)
            source = folder / f"dokument{suffix}"
            source.write_bytes(content)
            out = folder / "pdf"
            command = [
                self.program,
                f"-env:UserInstallation={(folder / 'profil').as_uri()}",
                "--headless",
                "--norestore",
                "--nolockcheck",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out),
                str(source),
            ]
            # A clean environment: the server's own variables (secrets) stay with the server.
            environment = {"PATH": SYSTEM_PATH, "HOME": work, "TMPDIR": work}
            if not self._run(command, environment):
                return None
            result = out / "dokument.pdf"
            return result.read_bytes() if result.is_file() else None

    def _run(self, command: list[str], environment: dict[str, str]) -> bool:
        child = subprocess.Popen(  # noqa: S603 - a fixed program, our own arguments
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=environment,
            start_new_session=True,
        )
        try:
            return child.wait(timeout=self.timeout_seconds) == 0
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            return False
