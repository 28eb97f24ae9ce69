# ruff: noqa: E501  (usage and error texts are gauge's own, verbatim)
"""Command-line handling of the gauge stand-in: cobra/pflag-style flag parsing and gauge's fatal-error texts.

Owns the `gauge run` flag table (reference gauge.md §3), the parse rules of Go's pflag (`--f=v`, `--f v`,
`-fv`, `-f v`, grouped bool shorthands, `--b=false`, no-option defaults such as `-s` = alpha) and the
exact error/usage/fatal texts. It must not touch the project, specs or reports.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Final, Literal

log = logging.getLogger(__name__)

Kind = Literal["bool", "str", "int", "list"]

GAUGE_VERSION: Final = "1.6.28"
COMMIT_HASH: Final = "7ab3a51"
DEFAULT_PLUGINS: Final = "go:0.5.2,html-report:4.3.1,xml-report:0.5.3"


@dataclass(frozen=True, slots=True)
class Flag:
    long: str
    short: str
    kind: Kind
    default: object
    usage: str
    no_opt: str | None = None


FLAGS: Final = (
    Flag("tags", "t", "str", "", "Executes the specs and scenarios tagged with given tags"),
    Flag("env", "e", "str", "default", "Specifies the environment to use"),
    Flag("parallel", "p", "bool", False, "Execute specs in parallel"),
    Flag("n", "n", "int", os.cpu_count() or 1, "Specify number of parallel execution streams"),
    Flag(
        "strategy",
        "",
        "str",
        "lazy",
        "Set the parallelization strategy for execution. Possible options are: `eager`, `lazy`",
    ),
    Flag("group", "g", "int", -1, "Specify which group of specification to execute based on -n flag"),
    Flag("max-retries-count", "c", "int", 1, "Max count of iterations for failed scenario"),
    Flag("retry-only", "", "str", "", "Retries the specs and scenarios tagged with given tags"),
    Flag("failed", "f", "bool", False, "Run only the scenarios failed in previous run."),
    Flag("repeat", "", "bool", False, "Repeat last run. This is exclusive with --failed"),
    Flag("scenario", "", "list", [], "Set scenarios for running specs with scenario name"),
    Flag(
        "table-rows",
        "r",
        "str",
        "",
        "Executes the specs and scenarios only for the selected rows. It can be specified by range as 2-4 or as list 2,4",
    ),
    Flag(
        "verbose", "v", "bool", False, "Enable step level reporting on console, default being scenario level"
    ),
    Flag("simple-console", "", "bool", False, "Removes colouring and simplifies the console output"),
    Flag("hide-suggestion", "", "bool", False, "Hide step implementation stub for every unimplemented step"),
    Flag("fail-safe", "", "bool", False, "Force return 0 exit code, even in case of failures."),
    Flag("sort", "s", "str", "", "Run specs in Alphabetical Order", no_opt="alpha"),
    Flag("random-seed", "", "int", 0, "Seed for the random generator used with --sort=random"),
    Flag("install-plugins", "i", "bool", True, "Install All Missing Plugins"),
    Flag("only", "o", "str", "", "Executes the specs and scenarios tagged with given tags in parallel"),
    Flag("log-level", "l", "str", "info", "Set level of logging to debug, info, warning, error or critical"),
    Flag(
        "dir",
        "d",
        "str",
        ".",
        "Set the working directory for the current command, accepts a path relative to current directory",
    ),
    Flag("machine-readable", "m", "bool", False, "Prints output in JSON format"),
    Flag("help", "h", "bool", False, "help for run"),
)
_LONG: Final = {f.long: f for f in FLAGS}
_SHORT: Final = {f.short: f for f in FLAGS if f.short}

RUN_USAGE: Final = """Usage:
  gauge run [flags] [args]

Examples:
  gauge run specs/
  gauge run --tags "login" -s -p specs/

Flags:
  -e, --env string                 Specifies the environment to use (default "default")
  -f, --failed                     Run only the scenarios failed in previous run.
      --fail-safe                  Force return 0 exit code, even in case of failures.
  -g, --group int                  Specify which group of specification to execute based on -n flag (default -1)
  -h, --help                       help for run
      --hide-suggestion            Hide step implementation stub for every unimplemented step
  -i, --install-plugins            Install All Missing Plugins (default true)
  -c, --max-retries-count int      Max count of iterations for failed scenario (default 1)
  -n, --n int                      Specify number of parallel execution streams
  -p, --parallel                   Execute specs in parallel
      --random-seed int            Seed for the random generator used with --sort=random
      --repeat                     Repeat last run. This is exclusive with --failed
      --retry-only string          Retries the specs and scenarios tagged with given tags
      --scenario strings           Set scenarios for running specs with scenario name
      --simple-console             Removes colouring and simplifies the console output
  -s, --sort string[="alpha"]      Run specs in Alphabetical Order
      --strategy string            Set the parallelization strategy for execution. Possible options are: `eager`, `lazy` (default "lazy")
  -r, --table-rows string          Executes the specs and scenarios only for the selected rows. It can be specified by range as 2-4 or as list 2,4
  -t, --tags string                Executes the specs and scenarios tagged with given tags
  -v, --verbose                    Enable step level reporting on console, default being scenario level

Global Flags:
  -d, --dir string         Set the working directory for the current command, accepts a path relative to current directory (default ".")
  -l, --log-level string   Set level of logging to debug, info, warning, error or critical (default "info")
  -m, --machine-readable   Prints output in JSON format
"""

ROOT_USAGE: Final = """Usage:
  gauge <command> [flags] [args]

Examples:
  gauge run specs/
  gauge run --parallel specs/

Commands:
  run         Run a Gauge specification
  version     Print Gauge and plugin versions

Flags:
  -h, --help               help for gauge
  -v, --version            Print Gauge and plugin versions

Use "gauge [command] --help" for more information about a command.
"""


class UsageError(Exception):
    """A cobra/pflag error: printed as `Error: <msg>` followed by the usage, exit 1."""


@dataclass(slots=True)
class RunOptions:
    values: dict[str, object] = field(default_factory=lambda: {f.long: f.default for f in FLAGS})
    args: list[str] = field(default_factory=list)
    given: set[str] = field(default_factory=set)

    def text(self, name: str) -> str:
        value = self.values[name]
        assert isinstance(value, str)
        return value

    def number(self, name: str) -> int:
        value = self.values[name]
        assert isinstance(value, int)
        return value

    def flag(self, name: str) -> bool:
        return bool(self.values[name])

    def items(self, name: str) -> list[str]:
        value = self.values[name]
        assert isinstance(value, list)
        return [str(v) for v in value]


def _flag_name(flag: Flag) -> str:
    return f"-{flag.short}, --{flag.long}" if flag.short else f"--{flag.long}"


def _set(options: RunOptions, flag: Flag, raw: str) -> None:
    options.given.add(flag.long)
    if flag.kind == "int":
        try:
            options.values[flag.long] = int(raw, 10)
        except ValueError:
            raise UsageError(
                f'invalid argument "{raw}" for "{_flag_name(flag)}" flag: strconv.ParseInt: parsing "{raw}": invalid syntax'
            ) from None
    elif flag.kind == "bool":
        lowered = raw.lower()
        if lowered in ("1", "t", "true"):
            options.values[flag.long] = True
        elif lowered in ("0", "f", "false"):
            options.values[flag.long] = False
        else:
            raise UsageError(
                f'invalid argument "{raw}" for "{_flag_name(flag)}" flag: strconv.ParseBool: parsing "{raw}": invalid syntax'
            )
    elif flag.kind == "list":
        current = options.values[flag.long]
        assert isinstance(current, list)
        options.values[flag.long] = [*current, raw]
    else:
        options.values[flag.long] = raw


def parse_run_args(argv: list[str]) -> RunOptions:
    """pflag parsing with interspersed arguments; raises UsageError with cobra's wording."""
    options = RunOptions()
    options.values["scenario"] = []
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg == "--":
            options.args.extend(argv[index + 1 :])
            break
        if arg.startswith("--"):
            name, eq, raw = arg[2:].partition("=")
            flag = _LONG.get(name)
            if flag is None:
                raise UsageError(f"unknown flag: --{name}")
            if flag.kind == "bool":
                _set(options, flag, raw if eq else "true")
            elif not eq and flag.no_opt is not None:
                _set(options, flag, flag.no_opt)
            elif eq:
                _set(options, flag, raw)
            else:
                index += 1
                if index >= len(argv):
                    raise UsageError(f"flag needs an argument: --{name}")
                _set(options, flag, argv[index])
        elif arg.startswith("-") and len(arg) > 1:
            shorts = arg[1:]
            pos = 0
            while pos < len(shorts):
                char = shorts[pos]
                flag = _SHORT.get(char)
                if flag is None:
                    raise UsageError(f"unknown shorthand flag: '{char}' in -{shorts}")
                rest = shorts[pos + 1 :]
                if flag.kind == "bool":
                    if rest.startswith("="):
                        _set(options, flag, rest[1:])
                        break
                    _set(options, flag, "true")
                    pos += 1
                    continue
                if not rest and flag.no_opt is not None:
                    _set(options, flag, flag.no_opt)
                    break
                if rest:
                    _set(options, flag, rest.removeprefix("="))
                else:
                    index += 1
                    if index >= len(argv):
                        raise UsageError(f"flag needs an argument: '{char}' in -{shorts}")
                    _set(options, flag, argv[index])
                break
        else:
            options.args.append(arg)
        index += 1
    return options


def installed_plugins() -> list[tuple[str, str]]:
    """Plugins the stand-in claims to have (`$GAUGE_STANDIN_PLUGINS`, `name:version,...`), sorted by name."""
    raw = os.environ.get("GAUGE_STANDIN_PLUGINS", DEFAULT_PLUGINS)
    plugins = []
    for item in raw.split(","):
        name, _, version = item.strip().partition(":")
        if name:
            plugins.append((name, version or "0.0.1"))
    return sorted(plugins)


def version_text() -> str:
    """`gauge version` / `gauge -v`."""
    lines = [f"Gauge version: {GAUGE_VERSION}", f"Commit Hash: {COMMIT_HASH}", "", "Plugins", "-------"]
    plugins = installed_plugins()
    lines.extend(f"{name} ({version})" for name, version in plugins)
    if not plugins:
        lines.append("No plugins found")
        lines.append("Plugins can be installed with `gauge install {plugin-name}`")
    return "\n".join(lines) + "\n"


def fatal_text(message: str) -> str:
    """The block gauge prints before exiting 1 on a fatal error (G logger.Fatalf)."""
    import platform

    plugins = ", ".join(f"{n} ({v})" for n, v in installed_plugins())
    return (
        "Error ----------------------------------\n\n"
        f"[Gauge]\n{message}\n\n"
        "Get Support ----------------------------\n"
        "\tDocs:          https://docs.gauge.org\n"
        "\tBugs:          https://github.com/getgauge/gauge/issues\n"
        "\tChat:          https://github.com/getgauge/gauge/discussions\n\n"
        "Your Environment Information -----------\n"
        f"\t{platform.system().lower()}, {GAUGE_VERSION}, {COMMIT_HASH}\n"
        f"\t{plugins}\n"
    )
