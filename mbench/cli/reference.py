"""The command-line reference as Markdown, made from the click help itself:
`python -m mbench.cli.reference > docs/cli.md`.

Every command and sub-command of `mbench` gets its usage line, its help text and a table of its options. The output
depends only on the commands' definitions: the usage line is wrapped at a fixed width, and help texts and options are
written unwrapped, so the terminal the generator runs in changes nothing (tests/test_docs.py compares the page with a
fresh run).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import click

WIDTH = 100  # the usage line's wrap width, fixed so that the page does not follow the terminal's
COMMAND = "python -m mbench.cli.reference > docs/cli.md"


def walk(command: click.Command, name: str, parent: click.Context | None = None) -> Iterator[click.Context]:
    """A context for ``command`` and then for each of its sub-commands, depth first, in the group's listed order."""
    settings = {**command.context_settings, "terminal_width": WIDTH, "max_content_width": WIDTH}
    ctx = click.Context(command, info_name=name, parent=parent, **settings)
    yield ctx
    if isinstance(command, click.Group):
        for sub_name in command.list_commands(ctx):
            sub = command.get_command(ctx, sub_name)
            if sub is not None and not sub.hidden:
                yield from walk(sub, sub_name, ctx)


def _anchor(path: str) -> str:
    """The anchor GitHub gives a heading made of words and spaces."""
    return path.lower().replace(" ", "-")


def _escape(text: str) -> str:
    """Text safe in a Markdown paragraph or table cell: no HTML, no emphasis, no column break."""
    return text.replace("<", "&lt;").replace("*", r"\*").replace("|", r"\|")


def _help_paragraphs(command: click.Command) -> Iterator[str]:
    """The help text, paragraph by paragraph: `Example:` lines as shell blocks, click's \\b paragraphs verbatim."""
    text = inspect.cleandoc(command.help or "").split("\f")[0]
    for paragraph in text.split("\n\n"):
        if paragraph.startswith("\b\n"):
            yield "```text\n" + paragraph[2:] + "\n```"
            continue
        line = " ".join(paragraph.split())
        if line.startswith("Example: "):
            yield "Example:\n\n```sh\n" + line.removeprefix("Example: ") + "\n```"
        elif line:
            yield _escape(line)


def _usage(ctx: click.Context) -> str:
    formatter = click.HelpFormatter(width=WIDTH, max_width=WIDTH)
    ctx.command.format_usage(ctx, formatter)
    return formatter.getvalue().rstrip()


def _options_table(ctx: click.Context) -> Iterator[str]:
    records = [p.get_help_record(ctx) for p in ctx.command.get_params(ctx) if isinstance(p, click.Option)]
    yield "| Option | Description |"
    yield "|---|---|"
    for opts, help_text in (r for r in records if r):
        yield f"| `{opts.replace('|', chr(92) + '|')}` | {_escape(' '.join(help_text.split()))} |"


def _commands_table(ctx: click.Context) -> Iterator[str]:
    group = ctx.command
    assert isinstance(group, click.Group)
    yield "| Command | What it does |"
    yield "|---|---|"
    for name in group.list_commands(ctx):
        sub = group.get_command(ctx, name)
        if sub is not None and not sub.hidden:
            path = f"{ctx.command_path} {name}"
            yield f"| [`{name}`](#{_anchor(path)}) | {_escape(sub.get_short_help_str(limit=WIDTH))} |"


def section(ctx: click.Context) -> str:
    """One command's part of the page: heading, usage, help, sub-commands (for a group) and options."""
    parts = [f"## {ctx.command_path}", "```text\n" + _usage(ctx) + "\n```", *_help_paragraphs(ctx.command)]
    if isinstance(ctx.command, click.Group):
        parts.append("\n".join(_commands_table(ctx)))
    parts.append("\n".join(_options_table(ctx)))
    return "\n\n".join(parts)


def reference(group: click.Group, name: str = "mbench") -> str:
    """The whole page: a title, a contents list and one section per command."""
    contexts = list(walk(group, name))
    contents = "\n".join(f"- [`{c.command_path}`](#{_anchor(c.command_path)})" for c in contexts)
    intro = (
        f"# Command-line reference\n\nGenerated from `{name} --help` and each command's help by `{COMMAND}`; "
        "`tests/test_docs.py` fails when this page and the help differ. Exit codes: see the "
        "[README](../README.md#exit-codes)."
    )
    return "\n\n".join([intro, contents, *(section(c) for c in contexts)]) + "\n"


def main() -> None:
    from mbench.cli import main as mbench

    click.echo(reference(mbench), nl=False)


if __name__ == "__main__":
    main()
