"""One source for the profile settings: every RunPlan field is an option of `mbench profile` and a key of a sweep
file's `profile:` section, with RunPlan's default."""

import dataclasses

import click
from click.testing import CliRunner

from mbench.cli import main
from mbench.cli.profile import command as profile_command
from mbench.measure.timing import RunPlan
from mbench.sweep.config import ProfileSettings


def test_every_plan_field_is_a_profile_option_with_its_default():
    options = {p.name: p for p in profile_command.params}
    context = click.Context(profile_command)
    for setting in dataclasses.fields(RunPlan):
        assert setting.name in options, f"mbench profile has no option for RunPlan.{setting.name}"
        default = options[setting.name].process_value(context, options[setting.name].default)  # as the option parses it
        assert (default, type(default)) == (setting.default, type(setting.default)), setting.name


def test_threads_are_decided_by_the_device_not_by_a_default_here():
    options = {p.name: p for p in profile_command.params}
    assert options["threads"].default in (None, getattr(click.core, "UNSET", None))  # devices/profile.py decides


def test_every_plan_field_is_a_sweep_key_with_its_default():
    keys = ProfileSettings.model_fields
    assert set(keys) == {f.name for f in dataclasses.fields(RunPlan)} | {"threads"}
    assert ProfileSettings().plan() == RunPlan()


def test_the_options_build_the_plan_the_profile_uses(monkeypatch, tmp_path):
    seen = {}
    monkeypatch.setattr("mbench.sweep.profile_and_record", lambda *a, **k: seen.setdefault("plan", a[4]) and 1 / 0)
    CliRunner().invoke(
        main, ["profile", str(tmp_path), "--runs", "7", "--apart", "--target-ci", "2%", "--db", str(tmp_path / "m.db")]
    )
    assert seen["plan"] == RunPlan(runs=7, together=False, target_ci=0.02)
