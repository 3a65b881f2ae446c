"""`manage.py caniemail_refresh FILE` replaces the vendored data, checked, with its record."""

import hashlib
import io
import json
import shutil
import tarfile

import pytest
from django.core.management import CommandError, call_command

from apps.mail.qa import caniemail

VENDORED = caniemail.DATA_FILE


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A copy of the data folder the command writes to, instead of the vendored one."""
    folder = tmp_path / "data"
    shutil.copytree(caniemail.DATA_DIR, folder)
    monkeypatch.setattr(caniemail, "DATA_DIR", folder)
    monkeypatch.setattr(caniemail, "DATA_FILE", folder / "caniemail.json")
    caniemail.features.cache_clear()
    caniemail.source.cache_clear()
    yield folder
    caniemail.features.cache_clear()
    caniemail.source.cache_clear()


def npm_package(path, data: bytes, version: str) -> None:
    """What `npm pack caniemail` downloads: package/data/caniemail.json and package.json."""
    with tarfile.open(path, "w:gz") as archive:
        for name, content in (
            ("package/data/caniemail.json", data),
            ("package/package.json", json.dumps({"version": version}).encode()),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))


def test_a_newer_package_replaces_the_data_and_says_where_it_came_from(data_dir, tmp_path, capsys):
    data = json.loads(VENDORED.read_text())
    data["data"] = [f for f in data["data"] if f["slug"] != "css-cursor"]
    data["last_update_date"] = "2027-01-02 03:04:05 +0000"
    raw = json.dumps(data).encode()
    npm_package(tmp_path / "caniemail-9.9.9.tgz", raw, "9.9.9")
    call_command("caniemail_refresh", str(tmp_path / "caniemail-9.9.9.tgz"))
    assert "caniemail 9.9.9 (data of 2027-01-02 03:04:05 +0000)" in capsys.readouterr().out
    assert (data_dir / "caniemail.json").read_bytes() == raw
    record = json.loads((data_dir / "SOURCE.json").read_text())
    assert record["version"] == "9.9.9" and record["sha256"] == hashlib.sha256(raw).hexdigest()
    assert record["features_we_look_up_missing"] == ["css-cursor"]
    assert "css-cursor" not in caniemail.features()  # read again, not from a stale cache
    assert caniemail.source()["version"] == "9.9.9"


def test_a_bare_json_file_takes_its_version_from_the_command_line(data_dir, tmp_path):
    (tmp_path / "caniemail.json").write_bytes(VENDORED.read_bytes())
    call_command(
        "caniemail_refresh", str(tmp_path / "caniemail.json"), "--package-version", "2.0.3"
    )
    assert json.loads((data_dir / "SOURCE.json").read_text())["version"] == "2.0.3"


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"{not json", "is not JSON"),
        (b'{"data": {}}', "not caniemail data: expected an object with a 'data' list"),
        (b'{"data": [{"slug": "x"}]}', "a feature lacks its slug, title or stats"),
        (b'{"data": [{"slug": "x", "title": "X", "stats": {}}]}', "lacks most of the features"),
    ],
)
def test_a_file_that_is_not_caniemail_data_is_refused_and_nothing_written(
    data_dir, tmp_path, content, why
):
    before = (data_dir / "caniemail.json").read_bytes(), (data_dir / "SOURCE.json").read_text()
    (tmp_path / "bad.json").write_bytes(content)
    with pytest.raises(CommandError, match=why):
        call_command("caniemail_refresh", str(tmp_path / "bad.json"))
    after = (data_dir / "caniemail.json").read_bytes(), (data_dir / "SOURCE.json").read_text()
    assert after == before
    with pytest.raises(CommandError, match="is not a file"):
        call_command("caniemail_refresh", str(tmp_path / "missing.json"))
