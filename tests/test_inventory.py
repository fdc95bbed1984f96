import os
from pathlib import Path

import pytest

from mbench.devices.inventory import InventoryError, load_inventory
from mbench.devices.local import placement

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
    assert kinds == {"local", "ssh", "android", "ios"} and len(inventory.devices) == 6  # arm64-board is active
    assert inventory.get("pixel7").delegates == ("cpu", "gpu", "nnapi")
    assert inventory.get("iphone").mac == "macbook" and inventory.get("macbook").kind == "ssh"


SSH_PI = "devices:\n  pi:\n    kind: ssh\n    host: {host}\n    user: {user}\n"


def test_two_devices_with_one_name_are_refused_naming_both_lines(tmp_path):
    path = tmp_path / "devices.yaml"
    path.write_text("devices:\n  pi:\n    kind: local\n  pi:\n    kind: local\n    threads: 2\n")
    with pytest.raises(InventoryError, match=r"devices.yaml:4: duplicate key 'pi' \(lines 2 and 4\)"):
        load_inventory(path)


def test_a_key_given_twice_in_one_device_is_refused_naming_both_lines(tmp_path):
    path = tmp_path / "devices.yaml"
    path.write_text("devices:\n  host:\n    kind: local\n    threads: 1\n    threads: 4\n")
    with pytest.raises(InventoryError, match=r"devices.yaml:5: duplicate key 'threads' \(lines 4 and 5\)"):
        load_inventory(path)


@pytest.mark.parametrize("host", ["pi5.local", "192.168.1.20", "fe80::1", "box", "my-board.lan."])
def test_hostnames_and_addresses_are_accepted(tmp_path, host):
    path = tmp_path / "devices.yaml"
    path.write_text(SSH_PI.format(host=f"'{host}'", user="pi"))
    assert load_inventory(path).get("pi").host == host


@pytest.mark.parametrize("host", ["box;touch /tmp/x", "-oProxyCommand=x", "a b", "x..y", "$(id)"])
def test_a_host_that_is_no_hostname_or_address_is_refused(tmp_path, host):
    path = tmp_path / "devices.yaml"
    path.write_text(SSH_PI.format(host=f"'{host}'", user="pi"))
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    message = str(caught.value)
    assert f"{path}:4: devices.pi.host" in message and repr(host) in message and "IPv4/IPv6" in message


@pytest.mark.parametrize("user", ["-oX", "me;id", "a b", "9lives", "x" * 33])
def test_a_user_that_is_no_posix_user_name_is_refused(tmp_path, user):
    path = tmp_path / "devices.yaml"
    path.write_text(SSH_PI.format(host="pi.local", user=f"'{user}'"))
    with pytest.raises(InventoryError, match=r"devices.yaml:5: devices.pi.user: .*POSIX user name"):
        load_inventory(path)


@pytest.mark.parametrize("name", ["my pi", "../up", "-x", "a/b", "pi;rm"])
def test_a_device_name_unfit_for_a_file_or_argument_is_refused(tmp_path, name):
    path = tmp_path / "devices.yaml"
    path.write_text(f"devices:\n  host:\n    kind: local\n  '{name}':\n    kind: local\n")
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    message = str(caught.value)
    assert f"{path}:4: devices.{name}" in message and repr(name) in message and "file name" in message


def test_host_leaves_one_cpu_to_the_system_unless_told(tmp_path):
    allowed = sorted(os.sched_getaffinity(0))
    host = load_inventory(SHIPPED).get("host")
    assert host.thread_count() == max(1, len(allowed) - 1)
    if len(allowed) > 1:
        assert allowed[0] not in placement(host.thread_count())
    path = tmp_path / "devices.yaml"
    path.write_text(f"devices:\n  host:\n    kind: local\n    threads: {len(allowed)}\n")
    assert load_inventory(path).get("host").thread_count() == len(allowed)


@pytest.mark.parametrize("mask", ["'0'", "big", "'f0 ; id'", "'0x'"])
def test_a_taskset_that_is_no_cpu_mask_is_refused(tmp_path, mask):
    path = tmp_path / "devices.yaml"
    path.write_text(
        f"devices:\n  pixel:\n    kind: android\n    serial: R5CT1234\n    benchmark_binary: bm\n    taskset: {mask}\n"
    )
    with pytest.raises(InventoryError, match=r"devices.yaml:6: devices.pixel.taskset: .*hexadecimal CPU mask"):
        load_inventory(path)
