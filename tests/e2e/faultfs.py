"""Storage faults for tests: the faultfs LD_PRELOAD shim (tests/faults/faultfs.c),
which fails writes and syncs of files under a data directory on demand, and a
small tmpfs that really fills up."""

import errno
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHIM_SOURCE = ROOT / "tests" / "faults" / "faultfs.c"

# The wire messages of the two storage faults (crates/engine/src/error.rs).
OUT_OF_SPACE_MESSAGE = "The storage is out of space: the write was not applied; retry once space is freed"
STOPPED_MESSAGE = "Writes are stopped after a storage failure: the server must be restarted (reads still work)"


def create_indexed_table(client, name):
    """A table keyed by `pk` (S) with a keys-only global index on `g` (S): after
    a fault, the index can be checked against the table."""
    client.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "KEYS_ONLY"}}])


def build_shim(out_dir):
    """Compiles the shim into out_dir and returns the library's path."""
    library = Path(out_dir) / "faultfs.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-Wall", "-o", str(library), str(SHIM_SOURCE), "-ldl"],
                   check=True)
    return library


class Shim:
    """The shim's controls for one server on `data_dir`: a control file whose
    rule is in force while it exists, and the log of injected failures."""

    def __init__(self, library, data_dir, work_dir):
        self.library = Path(library)
        # The shim compares resolved paths (/proc/self/fd links).
        self.data_dir = Path(data_dir).resolve()
        self.control = Path(work_dir) / "faultfs-control"
        self.log = Path(work_dir) / "faultfs.log"

    def env(self, **extra):
        """The server's environment: this one's, with the shim preloaded."""
        env = dict(os.environ)
        env.update(LD_PRELOAD=str(self.library), FAULTFS_DIR=str(self.data_dir), FAULTFS_CONTROL=str(self.control),
                   FAULTFS_LOG=str(self.log), **extra)
        return env

    def inject(self, rule):
        """Puts `rule` (e.g. "fsync EIO once") in force; the file appears whole."""
        staged = self.control.with_name(self.control.name + ".new")
        staged.write_text(rule)
        staged.rename(self.control)

    def clear(self):
        self.control.unlink(missing_ok=True)

    def armed(self):
        """Whether the control file is still there (a "once" rule removes it when it fires)."""
        return self.control.exists()

    def fired(self):
        """One line per injected failure: call, errno, file."""
        return self.log.read_text().splitlines() if self.log.exists() else []


def mount_small_disk(path, size="16m"):
    """Mounts a tmpfs of `size` on `path`; returns False where mounting is not permitted."""
    Path(path).mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                            capture_output=True)
    return result.returncode == 0


def unmount(path):
    subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


def fill(path, name="filler"):
    """Writes a file under `path` until its filesystem has no space left."""
    chunk = b"\0" * (64 * 1024)
    with open(Path(path) / name, "wb", buffering=0) as filler:
        try:
            while True:
                filler.write(chunk)
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise
    # Fill the last partial chunk too, a page at a time.
    with open(Path(path) / f"{name}-tail", "wb", buffering=0) as tail:
        try:
            while True:
                tail.write(chunk[:4096])
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise


def free(path, name="filler"):
    for filler in (Path(path) / name, Path(path) / f"{name}-tail"):
        filler.unlink(missing_ok=True)
