"""Replace the vendored caniemail data with a newer file, checked before it is written."""

import datetime as dt
import hashlib
import io
import json
import tarfile
from pathlib import Path

from . import caniemail
from .feature_map import FEATURE_SLUGS

PACKAGE_DATA = "package/data/caniemail.json"
PACKAGE_JSON = "package/package.json"
MAX_BYTES = 20 * 1024 * 1024


def _read(path: Path) -> tuple[bytes, str]:
    """The data file's bytes and the package version, from a .json or an npm .tgz."""
    if path.stat().st_size > MAX_BYTES:
        raise ValueError(f"{path} is over {MAX_BYTES // 1024 // 1024} MB: not caniemail data")
    if not tarfile.is_tarfile(path):
        return path.read_bytes(), ""
    with tarfile.open(path) as archive:
        try:
            data = archive.extractfile(PACKAGE_DATA).read()
        except (KeyError, AttributeError) as error:
            raise ValueError(f"{path} has no {PACKAGE_DATA}: not the caniemail package") from error
        try:
            version = json.load(archive.extractfile(PACKAGE_JSON)).get("version", "")
        except (KeyError, AttributeError, ValueError):
            version = ""
    return data, version


def caniemail_refresh(*, source: Path, version: str = "", today: dt.date | None = None) -> dict:
    """Check `source` (caniemail.json, or the npm package's .tgz) and vendor it; SOURCE.json
    records where it came from. Raises ValueError, writing nothing, when it is not usable."""
    raw, package_version = _read(source)
    try:
        data = json.load(io.BytesIO(raw))
    except ValueError as error:
        raise ValueError(f"{source} is not JSON: {error}") from error
    items = caniemail.check_data(data)
    slugs = {item["slug"] for item in items}
    missing = sorted(FEATURE_SLUGS - slugs)
    if len(missing) > len(FEATURE_SLUGS) // 2:
        raise ValueError(f"{source} lacks most of the features we look up ({len(missing)})")
    record = {
        "package": "caniemail",
        "version": version or package_version or "unknown",
        "file": source.name,
        "data_last_update": data.get("last_update_date", ""),
        "retrieved": (today or dt.date.today()).isoformat(),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "features": len(items),
        "features_we_look_up_missing": missing,
        "licence": "MIT (data: HTeuMeuLeu, caniemail.com; package: Avi Goldman, Andrew "
        "Powell); see LICENSE",
    }
    caniemail.DATA_FILE.write_bytes(raw)
    (caniemail.DATA_DIR / "SOURCE.json").write_text(json.dumps(record, indent=2) + "\n")
    caniemail.features.cache_clear()
    caniemail.source.cache_clear()
    return record
