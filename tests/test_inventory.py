from pathlib import Path

import pytest

from mbench.devices.inventory import InventoryError, load_inventory

SHIPPED = Path(__file__).resolve().parents[1] / "devices.yaml"


def test_shipped_inventory_has_a_working_host():
    inventory = load_inventory(SHIPPED)
    host = inventory.get("host")
    assert host.kind == "local" and host.thread_count() >= 1


def test_unknown_key_names_file_line_key_and_valid_keys(tmp_path):
    path = tmp_path / "devices.yaml"
    path.write_text("devices:\n  host:\n    kind: local\n    thraeds: 2\n")
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    message = str(caught.value)
    assert f"{path}:4" in message and "thraeds" in message and "threads" in message


def test_bad_value_names_the_key_and_what_is_valid(tmp_path):
    path = tmp_path / "devices.yaml"
    path.write_text("devices:\n  pi:\n    kind: ssh\n    host: pi.local\n    user: me\n    port: 99999\n")
    with pytest.raises(InventoryError, match=r"devices.yaml:6: devices.pi.port: .*65535"):
        load_inventory(path)


def test_unknown_kind_is_refused(tmp_path):
    path = tmp_path / "devices.yaml"
    path.write_text("devices:\n  toaster:\n    kind: toaster\n")
    with pytest.raises(InventoryError, match="local.*ssh.*android.*ios"):
        load_inventory(path)


def test_unknown_device_lists_the_known_ones():
    with pytest.raises(InventoryError, match="unknown device 'iphone'.*host"):
        load_inventory(SHIPPED).get("iphone")


def test_missing_file_is_named(tmp_path):
    with pytest.raises(InventoryError, match="nowhere.yaml: no such inventory file"):
        load_inventory(tmp_path / "nowhere.yaml").get("pi")


def test_every_commented_example_in_the_shipped_inventory_is_valid(tmp_path):
    import re

    text = SHIPPED.read_text()
    uncommented = re.sub(r"^  # ", "  ", text, flags=re.MULTILINE)
    path = tmp_path / "devices.yaml"
    path.write_text(uncommented)
    inventory = load_inventory(path)
    kinds = {device.kind for device in inventory.devices.values()}
    assert kinds == {"local", "ssh", "android", "ios"} and len(inventory.devices) == 5
    assert inventory.get("pixel7").delegates == ("cpu", "gpu", "nnapi")
    assert inventory.get("iphone").mac == "macbook" and inventory.get("macbook").kind == "ssh"
