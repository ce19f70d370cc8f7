"""The Trino set-up without running it: the JDK it needs, its config, the CLI's line."""

from __future__ import annotations

from pathlib import Path

import pytest

from goldmine.cli import main
from goldmine.local import TRINO_CATALOG, TRINO_MIN_JAVA, JdkNotFoundError, find_jdk
from goldmine.local._java import jdk_at
from goldmine.local._trino import write_trino_config
from goldmine.settings import Endpoints, load_settings


def make_jdk(root: Path, name: str, version: str) -> Path:
    """A directory shaped like an installed JDK: ``bin/java`` and a ``release`` file."""
    home = root / name
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "java").write_text("#!/bin/sh\n")
    (home / "release").write_text(f'IMPLEMENTOR="test"\nJAVA_VERSION="{version}"\n')
    return home


def test_the_newest_jdk_that_is_new_enough_is_chosen(tmp_path: Path) -> None:
    make_jdk(tmp_path, "java-17-openjdk-amd64", "17.0.15")
    make_jdk(tmp_path, "temurin-24-jdk", "24")
    newest = make_jdk(tmp_path, "temurin-25-jdk-amd64", "25.0.3")
    (tmp_path / "not-a-jdk").mkdir()
    jdk = find_jdk(24, for_what="Trino 476", roots=(tmp_path,))
    assert (jdk.home, jdk.version) == (newest.resolve(), 25)
    assert jdk.java == newest.resolve() / "bin" / "java"


def test_only_older_jdks_fail_with_one_line_saying_what_to_install(tmp_path: Path) -> None:
    make_jdk(tmp_path, "java-17-openjdk-amd64", "17.0.15")
    with pytest.raises(JdkNotFoundError) as caught:
        find_jdk(24, for_what="Trino 476", roots=(tmp_path, tmp_path / "absent"))
    message = str(caught.value)
    assert "\n" not in message
    assert "Trino 476 needs a JDK 24 or newer" in message
    assert f"17 ({tmp_path / 'java-17-openjdk-amd64'})" in message
    assert "GOLDMINE_TRINO_JAVA_HOME" in message and "Temurin" in message


def test_a_configured_java_home_is_used_or_refused(tmp_path: Path) -> None:
    old, new = make_jdk(tmp_path, "jdk17", "17.0.2"), make_jdk(tmp_path, "jdk24", "24.0.1")
    assert find_jdk(24, for_what="Trino", java_home=new, roots=()).version == 24
    with pytest.raises(JdkNotFoundError, match="holds JDK 17"):
        find_jdk(24, for_what="Trino", java_home=old)
    with pytest.raises(JdkNotFoundError, match="holds no JDK"):
        find_jdk(24, for_what="Trino", java_home=tmp_path / "nothing")


def test_old_style_version_strings_are_read(tmp_path: Path) -> None:
    jdk = jdk_at(make_jdk(tmp_path, "jdk8", "1.8.0_392"))
    assert jdk is not None and jdk.version == 1  # 1.8 is older than anything Trino takes


def test_this_machine_has_a_jdk_for_trino() -> None:
    """The set-up (`make trino`) needs it: a missing JDK fails here too, not later."""
    assert find_jdk(TRINO_MIN_JAVA, for_what="Trino").version >= TRINO_MIN_JAVA


def test_catalogs_read_the_local_glue_and_s3_read_only(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    endpoints = Endpoints(s3="http://127.0.0.1:9001", aws="http://127.0.0.1:9002")
    etc = write_trino_config(settings, endpoints, tmp_path / "home", tmp_path / "trino", 8088)

    def read(path: Path) -> dict[str, str]:
        lines = path.read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if line)

    hive = read(etc / "catalog" / f"{TRINO_CATALOG}.properties")
    delta = read(etc / "catalog" / "delta.properties")
    assert hive["connector.name"] == "hive" and delta["connector.name"] == "delta_lake"
    assert hive["hive.delta-lake-catalog-name"] == "delta"  # Delta tables go to `delta`
    for catalog in (hive, delta):
        assert catalog["hive.metastore"] == "glue"
        assert catalog["hive.metastore.glue.endpoint-url"] == "http://127.0.0.1:9002"
        assert catalog["fs.native-s3.enabled"] == "true"
        assert catalog["s3.endpoint"] == "http://127.0.0.1:9001"
        assert catalog["s3.path-style-access"] == "true"
    assert sorted(p.name for p in (etc / "catalog").iterdir()) == [
        f"{TRINO_CATALOG}.properties",
        "delta.properties",
    ]
    server = read(etc / "config.properties")
    assert server["http-server.http.port"] == "8088"
    assert server["plugin.dir"] == str(tmp_path / "home" / "plugin")
    assert read(etc / "access-control.properties") == {"access-control.name": "read-only"}


def test_query_help_names_the_trino_engine(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--help"]) == 0
    out = capsys.readouterr().out
    assert "trino" in out and "goldmine query --engine trino" in out


def test_local_jdk_prints_the_jdk_or_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = make_jdk(tmp_path, "jdk17", "17.0.2")
    monkeypatch.setenv("GOLDMINE_TRINO_JAVA_HOME", str(old))
    assert main(["local", "jdk"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "needs a JDK 24 or newer" in err
    monkeypatch.setenv("GOLDMINE_TRINO_JAVA_HOME", str(make_jdk(tmp_path, "jdk25", "25")))
    assert main(["local", "jdk"]) == 0
    assert "JDK 25 at" in capsys.readouterr().out
