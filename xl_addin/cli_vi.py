"""The command line's help pages and usage errors in Vietnamese.

typer renders help and usage errors with its copy of Click, whose words are English and mostly
not routed through ``gettext`` («Usage:», «Options», «Error: Missing option…», «No such
command…»). Two hooks cover them without touching how commands are declared:

* help: every command of the tree gets a ``Context`` whose ``formatter_class`` writes the usage
  prefix, the section headings, the metavars and the ``[required]``/``[default: …]`` notes from
  ``ui.yaml`` (``cli:``); arguments get Vietnamese metavars by their name;
* usage errors: the command runs with ``standalone_mode=False`` and each kind of Click usage
  error is told in Vietnamese from its fields (the option or argument it names), never from its
  English text.
"""

from __future__ import annotations

import importlib
import re
import sys
from typing import Any

import typer

from .resources import TOOL_NAME
from .ui import ui

_EXTRA = re.compile(r"\[([^\[\]]*)\]\s*$")
_METAVAR = re.compile(r"<([a-z]+)>")


def _click() -> Any:
    """typer's own copy of Click (typer ≥ 0.20), else Click itself."""
    return getattr(typer, "_click", None) or importlib.import_module("click")


def _extras(text: str) -> str:
    """«[required]», «[default: x]» and the help option's line, in Vietnamese."""
    words = ui("cli")
    if text.strip() == "Show this message and exit.":
        return words["help_option"]
    m = _EXTRA.search(text)
    if not m:
        return text
    parts = []
    for part in m.group(1).split("; "):
        if part == "required":
            parts.append(words["required"])
        elif part.startswith("default: "):
            parts.append(words["default"].format(default=part[len("default: "):]))
        else:
            parts.append(part)
    return text[: m.start()] + "[" + "; ".join(parts) + "]"


def _metavars(text: str) -> str:
    names = ui("cli.metavars")
    return _METAVAR.sub(lambda m: f"<{names.get(m.group(1), m.group(1))}>", text)


def _context_class(base: type) -> type:
    formatter_base = base.formatter_class

    class Formatter(formatter_base):  # type: ignore[misc, valid-type]
        def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
            super().write_usage(prog, _metavars(args), ui("cli.usage") if prefix is None else prefix)

        def write_heading(self, heading: str) -> None:
            super().write_heading(ui("cli.headings").get(heading, heading))

        def write_dl(self, rows, *args: Any, **kwargs: Any) -> None:
            super().write_dl([(_metavars(first), _extras(second)) for first, second in rows], *args, **kwargs)

    class Context(base):  # type: ignore[misc, valid-type]
        formatter_class = Formatter

    return Context


def vietnamese(command: Any) -> Any:
    """Give ``command`` and every command under it Vietnamese help pages (in place)."""
    context = _context_class(command.context_class)
    words = ui("cli")
    arguments = words["arguments"]

    def walk(cmd: Any) -> None:
        cmd.context_class = context
        cmd.options_metavar = words["options_metavar"]
        if hasattr(cmd, "subcommand_metavar"):
            cmd.subcommand_metavar = words["subcommand_metavar"]
        for param in getattr(cmd, "params", []):
            if getattr(param, "param_type_name", "") == "argument" and param.name in arguments:
                param.metavar = arguments[param.name]
        for sub in getattr(cmd, "commands", {}).values():
            walk(sub)

    walk(command)
    return command


def _hint(error: Any) -> str:
    param = getattr(error, "param", None)
    if param is not None and getattr(param, "param_type_name", "") == "argument" and param.metavar:
        return f"«{param.metavar}»"
    hint = getattr(error, "param_hint", None)
    if hint is None and getattr(error, "param", None) is not None:
        try:
            hint = error.param.get_error_hint(error.ctx)
        except (AttributeError, TypeError):
            hint = getattr(error.param, "name", None)
    if isinstance(hint, (list, tuple)):
        hint = " / ".join(str(h) for h in hint)
    return "«" + str(hint or "").strip("'\"") + "»"


def usage_message(error: Any) -> str:
    """A Click usage error in Vietnamese, from the error's own fields."""
    exc = _click().exceptions
    words = ui("cli")
    if isinstance(error, exc.MissingParameter):
        kind = getattr(error, "param_type", None) or getattr(getattr(error, "param", None), "param_type_name", "")
        return words["missing_argument" if kind == "argument" else "missing_option"].format(name=_hint(error))
    if isinstance(error, exc.NoSuchOption):
        text = words["no_such_option"].format(name=f"«{error.option_name}»")
        if error.possibilities:
            text += " " + words["possible_options"].format(names=", ".join(sorted(error.possibilities)))
        return text
    if isinstance(error, exc.BadOptionUsage):
        key = "no_value" if "does not take" in error.message else "requires_value"
        return words[key].format(name=f"«{error.option_name}»")
    if isinstance(error, exc.BadParameter):
        return words["bad_value"].format(name=_hint(error), detail=error.message)
    message = str(getattr(error, "message", "") or "")
    m = re.match(r"No such command '([^']*)'", message)
    if m:
        text = words["no_such_command"].format(name=m.group(1))
        close = re.findall(r"'([^']+)'", message.split("Did you mean", 1)[1]) if "Did you mean" in message else []
        return text + (" " + words["did_you_mean"].format(names=", ".join(close)) if close else "")
    if message.startswith("Missing command"):
        return words["missing_command"]
    m = re.match(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", message)
    if m:
        return words["extra_arguments"].format(args=m.group(1))
    return words["other"].format(detail=message)


def show_usage_error(error: Any, file: Any = None) -> None:
    """What Click's ``UsageError.show`` prints, in Vietnamese."""
    exc = _click().exceptions
    file = file or sys.stderr
    ctx = getattr(error, "ctx", None)
    if isinstance(error, exc.NoArgsIsHelpError):
        print(ctx.get_help() if ctx is not None else error.format_message(), file=file)
        return
    words = ui("cli")
    if ctx is not None:
        print(ctx.get_usage(), file=file)
        option = ctx.help_option_names[0] if ctx.help_option_names else "--help"
        print(words["try_help"].format(command=ctx.command_path, option=option), file=file)
        print(file=file)
    print(f"{ui('importance.error')}: {usage_message(error)}", file=file)


def run(app: typer.Typer, args: list[str] | None = None, prog_name: str = TOOL_NAME) -> int:
    """Run the typer app with Vietnamese help and usage errors; returns the exit code."""
    click = _click()
    command = vietnamese(typer.main.get_command(app))
    try:
        rv = command.main(args=args, prog_name=prog_name, standalone_mode=False)
    except click.exceptions.UsageError as error:
        show_usage_error(error)
        return error.exit_code
    except typer.Abort:
        return 1
    except typer.Exit as done:
        return done.exit_code
    return rv if isinstance(rv, int) and not isinstance(rv, bool) else 0
