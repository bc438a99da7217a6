"""Bronze landing zone: raw files kept exactly as they arrived, each with a manifest.

Layout: ``bronze/kaggle_invoices/ingest_date=YYYYMMDD/<stem>__<sha12>.csv`` plus
``<same name>.manifest.json`` (source, sha256, rows, bytes, landed_at). A file whose sha256 was
already landed (on any day) is a no-op that returns the existing manifest. Files are written to a
temporary name and renamed, so a crash never leaves half a file under a landed name.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from sme_pulse.bronze.schema import header_problems
from sme_pulse.errors import InvalidInputError, SourceUnavailableError

DATASET = "kaggle_invoices"
_MANIFEST_SUFFIX = ".manifest.json"


@dataclass(frozen=True)
class Manifest:
    manifest_id: str  # sha256 of the file: the identity of a landed file
    source: str
    original_name: str
    path: str  # relative to the bronze root
    sha256: str
    rows: int
    bytes: int
    landed_at: str  # ISO-8601 UTC
    ingest_date: str  # YYYYMMDD

    def absolute_path(self, bronze_dir: Path) -> Path:
        return bronze_dir / self.path


@dataclass(frozen=True)
class LandingResult:
    manifest: Manifest
    created: bool


def _sha256_and_rows(path: Path) -> tuple[str, int, list[str]]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    with path.open("r", newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        rows = sum(1 for row in reader if row)
    return digest.hexdigest(), rows, header


def list_manifests(bronze_dir: Path, dataset: str = DATASET) -> list[Manifest]:
    """Every landed file of the dataset, oldest first."""
    root = bronze_dir / dataset
    manifests = [Manifest(**json.loads(path.read_text())) for path in root.glob(f"ingest_date=*/*{_MANIFEST_SUFFIX}")]
    return sorted(manifests, key=lambda m: (m.landed_at, m.manifest_id))


def land_file(
    source_file: Path,
    bronze_dir: Path,
    *,
    source: str,
    dataset: str = DATASET,
    now: datetime | None = None,
) -> LandingResult:
    """Copy ``source_file`` unchanged into Bronze (idempotent by content hash)."""
    if not source_file.is_file():
        raise SourceUnavailableError(
            f"{source_file} does not exist or is not a file.", hint="Pass the path of the invoice CSV."
        )
    sha, rows, header = _sha256_and_rows(source_file)
    problems = header_problems(header)
    if problems:
        raise InvalidInputError(
            f"{source_file.name} is not an invoice extract: " + "; ".join(problems) + ".",
            hint="Expected the Kaggle 'payment date prediction for invoices' columns, header included.",
        )
    for existing in list_manifests(bronze_dir, dataset):
        if existing.sha256 == sha:
            return LandingResult(existing, created=False)

    now = now or datetime.now(UTC)
    ingest_date = now.strftime("%Y%m%d")
    folder = bronze_dir / dataset / f"ingest_date={ingest_date}"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{source_file.stem}__{sha[:12]}{source_file.suffix or '.csv'}"
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(source_file, tmp)
    tmp.replace(target)
    target.chmod(0o444)  # bronze is immutable
    manifest = Manifest(
        manifest_id=sha,
        source=source,
        original_name=source_file.name,
        path=str(target.relative_to(bronze_dir)),
        sha256=sha,
        rows=rows,
        bytes=target.stat().st_size,
        landed_at=now.isoformat(),
        ingest_date=ingest_date,
    )
    manifest_path = target.with_name(target.name + _MANIFEST_SUFFIX)
    tmp_manifest = manifest_path.with_name(f".{manifest_path.name}.tmp")
    tmp_manifest.write_text(json.dumps(asdict(manifest), indent=2))
    tmp_manifest.replace(manifest_path)
    return LandingResult(manifest, created=True)
