"""Finding a store from its catalog file without a YAML parser (the command line's path to the
owner): the same store as the full catalog loader, and YAML's reading whenever the quick one
cannot vouch for a file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hybridq.catalog.validate import validate_file
from hybridq.serve.owner import simple_top_level_keys, store_dir_of

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = sorted(p for p in [*ROOT.glob("catalogs/**/*.yaml"), ROOT / "tests/catalog/fixtures/valid/catalog.yaml",
                              ROOT / "tests/sources/live_catalog.yaml"])


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_store_of_every_catalog_in_the_repository(catalog):
    text = catalog.read_text()
    assert simple_top_level_keys(text, ("name", "store")) is not None  # read without YAML
    loaded = validate_file(catalog).catalog  # (the data files of some are generated: missing here)
    assert loaded is not None and store_dir_of(catalog) == loaded.store_dir


HEAD = "version: 1\ndescription: >-\n  a catalog\n  name: not this one\n"
TAIL = "\nsources:\n  a: {kind: csv, path: a.csv}\ntables:\n  a: {source: a}\n"

READ_QUICKLY = {
    "name: acme\nstore: ../.hybridq/acme\n": {"name": "acme", "store": "../.hybridq/acme"},
    "name: acme   # the name\nstore: 'it''s here'  # a comment\n": {"name": "acme", "store": "it's here"},
    'name: "acme"\nstore: "/var/lib/x y"\n': {"name": "acme", "store": "/var/lib/x y"},
    "name: acme\n": {"name": "acme"},
    "name: acme\nstore: .hybridq/a_b-c\n": {"name": "acme", "store": ".hybridq/a_b-c"},
    "name: acme\nother: {a: '}', b: [1, 2]}  # {\nstore: s\n": {"name": "acme", "store": "s"},
    "name: Null_island\n": {"name": "Null_island"},
    "store: s\n": {"store": "s"},  # no name: no store either
}

# files where a quick reading could differ from YAML's: they must be left to YAML
LEFT_TO_YAML = [
    "name: acme\n  continued\n",                 # a plain scalar on two lines
    "name: acme\n\n  continued\n",
    "name: 'acme\n  continued'\n",
    "name: \"a\\tb\"\n",                          # an escape
    "name: yes\n", "name: NULL\n", "name: 12\n", "name: 1.5\n", "name: .5\n", "name: .Inf\n",
    "name: 2026-01-01\n", "name: ~\n", "name: 0x1f\n", "name: 1_000\n", "name: -x\n",
    "name: &n acme\n", "name: !!str 12\n", "name: |\n  acme\n", "name:\n  acme\n", "name: [a]\n",
    "name: acme\nname: other\n",                 # YAML keeps the last
    "---\nname: acme\n", "%YAML 1.1\n---\nname: acme\n", "? name\n: acme\n", "'name': acme\n",
    "description: \"open\nname: evil\"\nname: acme\n",  # a quoted value that goes on
    "sources: {a: 1,\nname: evil}\nname: acme\n",       # a flow mapping that goes on
    "<<: {name: other}\nname: acme\n",
    "name:\tacme\n", "name: acme\r\nstore: s\r\n", "\ufeffname: acme\n",
    "- name: acme\n", "  name: acme\n", "name: a#b\n", "name: a: b\n",
]


@pytest.mark.parametrize("text", list(READ_QUICKLY))
def test_simple_files_are_read_as_yaml_reads_them(text):
    keys = simple_top_level_keys(HEAD + text + TAIL, ("name", "store"))
    assert keys == READ_QUICKLY[text]
    data = yaml.safe_load(HEAD + text + TAIL)
    assert {k: data[k] for k in keys} == keys


@pytest.mark.parametrize("text", LEFT_TO_YAML)
def test_files_that_could_read_otherwise_are_left_to_yaml(text):
    assert simple_top_level_keys(text, ("name", "store")) is None


@pytest.mark.parametrize("text", [*READ_QUICKLY, *LEFT_TO_YAML])
def test_store_dir_is_yamls_either_way(tmp_path, text):
    catalog = tmp_path / "c.yaml"
    catalog.write_text(HEAD + text + TAIL if text in READ_QUICKLY else text, encoding="utf-8")
    try:
        data = yaml.safe_load(catalog.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        data = None
    expected = None
    if isinstance(data, dict) and isinstance(data.get("name"), str):
        store = data.get("store")
        expected = (tmp_path / (store if isinstance(store, str) else f".hybridq/{data['name']}")).resolve()
    assert store_dir_of(catalog) == expected


def test_a_background_owner_is_stale_when_the_catalog_content_changed(tmp_path):
    import os

    from hybridq.serve.background import stale
    from hybridq.serve.owner import OwnerInfo, file_sha, file_stamp

    catalog = tmp_path / "c.yaml"
    catalog.write_text("name: acme\n")
    info = OwnerInfo(1, 1, "t", 0.0, kind="background", catalog_sha=file_sha(catalog), catalog_stamp=file_stamp(catalog))
    assert not stale(info, catalog)
    os.utime(catalog, ns=(1, 1))  # touched: another stamp, the same content
    assert file_stamp(catalog) != info.catalog_stamp and not stale(info, catalog)
    catalog.write_text("name: acmf\n")  # the same size, another content
    assert stale(info, catalog)
    os.utime(catalog, ns=(int(info.catalog_stamp.split(":")[1]),) * 2)
    assert file_stamp(catalog) == info.catalog_stamp and not stale(info, catalog)  # what the stamp takes on trust
    assert stale(OwnerInfo(1, 1, "t", 0.0, kind="background", catalog_sha=info.catalog_sha), catalog)  # no stamp
