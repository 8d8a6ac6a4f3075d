"""publiccode.yml at the root is valid for the Developers Italia catalogue (issue #22): the
standard's required keys, checked as CI checks them."""

import copy
from pathlib import Path

import yaml

from urp_portal.conventions.publiccode import REQUIRED_TOP, check_file, publiccode_problems

ROOT = Path(__file__).resolve().parent.parent


def _ours() -> dict:
    return yaml.safe_load((ROOT / "publiccode.yml").read_text(encoding="utf-8"))


def test_the_repositorys_publiccode_yml_has_every_required_key():
    assert check_file(ROOT / "publiccode.yml") == []
    data = _ours()
    assert set(REQUIRED_TOP) <= set(data)
    assert data["legal"]["license"] == "EUPL-1.2"
    assert set(data["description"]) == {"it", "en"}
    assert data["maintenance"]["type"] in {"internal", "contract", "community", "none"}


def test_each_missing_required_key_is_reported():
    for key in REQUIRED_TOP:
        data = _ours()
        del data[key]
        assert f"missing key: {key}" in publiccode_problems(data), key


def test_wrong_values_are_reported():
    data = _ours()
    broken = copy.deepcopy(data)
    broken["developmentStatus"] = "finished"
    broken["categories"] = ["whatsapp"]
    broken["description"]["it"]["shortDescription"] = "x" * 151
    del broken["description"]["en"]["features"]
    broken["maintenance"] = {"type": "community"}

    problems = publiccode_problems(broken)

    assert "developmentStatus is not one of the standard's values" in problems
    assert "categories not in the standard's list: whatsapp" in problems
    assert "description.it.shortDescription is over 150 characters" in problems
    assert "missing key: description.en.features" in problems
    assert "maintenance.contacts is required for internal or community maintenance" in problems
