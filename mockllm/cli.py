"""``mockllm`` command line: ``serve``, ``check`` and ``record`` (a recording proxy, see ``record.py``).

Errors a user can fix (a bad flag, an unreadable fixture path, a broken fixture file) are one line on
stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .config import BOUNDS, DEFAULTS, Settings, unix_time


def bundled_fixtures() -> Path | None:
    """The example fixtures ``serve`` loads when given none: inside the installed package (a wheel or sdist
    install, where setup.py copied them), else the checkout's ``fixtures/`` (an editable install,
    ``make run``), which is their one source of truth."""
    package = Path(__file__).resolve().parent
    installed = package / "bundled_fixtures"
    if installed.is_dir():
        return installed
    checkout = package.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "fixtures").is_dir():
        return checkout / "fixtures"
    return None


BUNDLED_FIXTURES = bundled_fixtures()


class _Parser(argparse.ArgumentParser):
    """argparse prints usage plus the error; we keep it to one line and exit 2 as promised."""

    def error(self, message: str) -> None:  # type: ignore[override]
        # ``prog`` is "mockllm" for the top level and "mockllm serve" for a command: name it as is.
        self.exit(2, f"mockllm: error: {message} (see '{self.prog} --help')\n")

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> argparse.Namespace:
        """Unknown flags after a command are that command's mistake, so its own ``--help`` is the hint."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            command = getattr(parsed, "command", None)
            sub = self._commands().get(command) if command else None
            (sub or self).error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed

    def _commands(self) -> dict[str, argparse.ArgumentParser]:
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                return dict(action.choices)
        return {}


def _freeze(text: str) -> int:
    try:
        return unix_time(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _number(group: Any, flag: str, help_text: str) -> None:
    """A numeric ``serve`` flag: type and range from ``config.BOUNDS`` and default from ``Settings``, so the
    command line and settings given in code can never disagree."""
    name = flag.removeprefix("--").replace("-", "_")
    default = DEFAULTS[name]
    shown = f" (default {default:g})" if default is not None else ""
    group.add_argument(flag, type=BOUNDS[name].arg_type(), default=default, help=help_text + shown)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mockllm",
        description="A local, deterministic emulator of the OpenAI-compatible Chat Completions API.",
        epilog="Run 'mockllm COMMAND --help' (serve, check, record) for each command's options.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    serve = sub.add_parser("serve", help="serve /v1/chat/completions", description="Serve the API.")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    _number(serve, "--port", "port; 0 takes a free one")
    serve.add_argument(
        "--fixtures",
        action="append",
        metavar="PATH",
        help="fixture file or folder, repeatable (default: the bundled fixtures/)",
    )
    _number(serve, "--seed", "seed of the generator and ids")
    serve.add_argument(
        "--profile",
        default="openai",
        metavar="NAME",
        help="gateway dialect: openai (default), siliconflow, opensearch, tokensmind or mytokengate",
    )
    serve.add_argument("--api-key", action="append", default=[], metavar="KEY", help="accept only these keys")
    serve.add_argument("--strict", action="store_true", help="answer 404 fixture_not_found when nothing matches")
    _number(serve, "--max-body-mb", "request body limit")
    serve.add_argument("--freeze-time", type=_freeze, metavar="ISO", help="fix `created`, e.g. 2025-01-01T00:00:00Z")
    serve.add_argument(
        "--fetch-images",
        metavar="HOSTS",
        help="fetch image URLs on these comma-separated hosts ('*': any) to validate and measure them; "
        "off by default (URL images are billed at 1024x1024 unfetched)",
    )
    _number(serve, "--fetch-max-mb", "largest image to download")
    _number(serve, "--fetch-timeout", "seconds one download may take")
    serve.add_argument("--latency", choices=["off", "realistic"], default="off", help="stream pacing (default off)")
    _number(serve, "--ttft-ms", "time to first token, ms")
    _number(serve, "--tokens-per-second", "stream rate after the first token")
    _number(serve, "--jitter", "relative pacing jitter 0-1, e.g. 0.1 (seeded)")
    _number(serve, "--chunk-tokens", "tokens per streamed chunk")
    _number(serve, "--rpm", "requests per minute per API key (429 beyond; default: unlimited)")
    _number(serve, "--tpm", "tokens per minute per API key (429 beyond; default: unlimited)")
    serve.add_argument(
        "--chaos", metavar="SPEC", help='fail a seeded share of requests, e.g. "rate=0.05,kinds=rate_limit|disconnect"'
    )
    _number(serve, "--journal-size", "requests kept in the journal")
    _number(serve, "--store-size", "Responses-API responses kept for previous_response_id and GET (oldest go first)")
    serve.add_argument("--admin-token", help="token the admin API requires (needed when not bound to loopback)")
    serve.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])
    limits = serve.add_argument_group("limits (for a server shared by many clients; 503/408/431 beyond them)")
    _number(limits, "--max-connections", "open connections")
    _number(limits, "--max-streams", "streams in flight")
    _number(limits, "--header-timeout", "s to send headers")
    _number(limits, "--body-timeout", "s to send a body")
    _number(limits, "--write-timeout", "s a client may read nothing")
    _number(limits, "--idle-timeout", "s keep-alive idle")
    _number(limits, "--shutdown-timeout", "s open requests get on SIGTERM")
    serve.add_argument("--test-hooks", action="store_true", help=argparse.SUPPRESS)  # x-mockllm-test-raise

    check = sub.add_parser("check", help="validate fixture files without serving", description="Check fixtures.")
    check.add_argument("paths", nargs="+", metavar="PATH")

    from .record import add_record_parser

    add_record_parser(sub)
    return parser


def settings_from_args(args: argparse.Namespace) -> Settings:
    if args.fixtures:
        fixtures = tuple(args.fixtures)
    else:
        fixtures = (str(BUNDLED_FIXTURES),) if BUNDLED_FIXTURES is not None else ()
    return Settings(
        host=args.host,
        port=args.port,
        fixtures=fixtures,
        seed=args.seed,
        profile=args.profile,
        api_keys=tuple(args.api_key),
        strict=args.strict,
        max_body_mb=args.max_body_mb,
        fetch_hosts=tuple(h.strip() for h in (args.fetch_images or "").split(",") if h.strip()),
        fetch_max_mb=args.fetch_max_mb,
        fetch_timeout=args.fetch_timeout,
        freeze_time=args.freeze_time,
        latency=args.latency,
        ttft_ms=args.ttft_ms,
        tokens_per_second=args.tokens_per_second,
        jitter=args.jitter,
        chunk_tokens=args.chunk_tokens,
        rpm=args.rpm,
        tpm=args.tpm,
        chaos=args.chaos,
        journal_size=args.journal_size,
        store_size=args.store_size,
        admin_token=args.admin_token,
        max_connections=args.max_connections,
        max_streams=args.max_streams,
        header_timeout=args.header_timeout,
        body_timeout=args.body_timeout,
        write_timeout=args.write_timeout,
        idle_timeout=args.idle_timeout,
        shutdown_timeout=args.shutdown_timeout,
        test_hooks=args.test_hooks,
    )


def _warm_structured() -> None:
    """JSON-schema answers' Fakers, built in the background (imported there too: 30 ms off the start)."""
    from .core import structured

    structured.warm()


async def serve(settings: Settings) -> int:
    """Run until SIGINT/SIGTERM; print the one 'listening' line once the socket accepts connections."""
    from .core import tokens
    from .http.admin import admin_access
    from .http.app import make_app
    from .http.limits import GuardedRunner, ensure_descriptors
    from .http.serving import listen, shown_host, stop_on_signal

    if warning := ensure_descriptors(settings.max_connections):
        print(f"mockllm: warning: {warning}", file=sys.stderr, flush=True)
    tokens.warm(also=(_warm_structured,), also_after_s=1.0)
    app = make_app(settings)
    # Everything built so far (modules, catalog, fixtures, pydantic models) lives as long as the process:
    # move it out of the collector's sight, so the collections that per-request garbage triggers stay
    # short, then let the collector run (main() kept it off through start-up). No collection first: it
    # would take ~25 ms of the cold start to free ~2,700 objects of import-time garbage (a few hundred KB).
    gc.freeze()
    gc.enable()
    runner = GuardedRunner(app, access_log=None, handle_signals=False, shutdown_timeout=settings.shutdown_timeout)
    port = await listen(runner, settings.host, settings.port, backlog=1024)
    if port is None:
        return 2
    stop = stop_on_signal()
    if admin_access(settings.host, settings.admin_token) == "off":
        print(
            f"mockllm: note: listening on {settings.host}, beyond loopback: the admin API (/_mockllm/) is off; "
            "start with --admin-token TOKEN to enable it",
            file=sys.stderr,
            flush=True,
        )
    print(f"mockllm listening on http://{shown_host(settings.host)}:{port}/v1", flush=True)
    await stop.wait()
    await runner.cleanup()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    # Start-up allocates ~55,000 objects that live as long as the process (modules, classes, schemas) and
    # next to no garbage; with the collector on, it walks them again and again while they load, ~30 ms of
    # a ~350 ms cold start. Off until the work begins: serve() turns it on once they are frozen, a
    # recording session before it proxies, anything else on the way out (when it was on to begin with).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _main(argv)
    finally:
        if collecting:
            gc.enable()


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "check":
        from .core.faults import ERROR_PRESETS, FAULT_KINDS
        from .core.fixtures import check_files

        report = check_files(args.paths, known_presets=ERROR_PRESETS, known_faults=FAULT_KINDS)
        for problem in report.problems:
            print(f"error: {problem}")
        for warning in report.warnings:
            print(f"warning: {warning}")
        print(report.summary())
        return 0 if report.ok else 1
    import logging

    if args.command == "record":
        from .record import run_record

        gc.enable()
        # INFO by default: one line per recorded exchange is the progress report a recording session wants.
        logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        try:
            return run_record(args)
        except KeyboardInterrupt:
            return 0

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = settings_from_args(args)
    for path in settings.fixtures:
        if not os.access(path, os.R_OK):
            print(f"mockllm: error: cannot read fixtures at {path}", file=sys.stderr)
            return 2
    from .core.fixtures import FixtureError
    from .profiles import PROFILES

    if settings.chaos:
        from .core.chaos import Chaos

        try:
            chaos = Chaos.parse(settings.chaos)
        except ValueError as exc:
            print(f"mockllm: error: --chaos: {exc}", file=sys.stderr)
            return 2
        print(f"mockllm chaos: {chaos.describe()} seed={settings.seed}", file=sys.stderr, flush=True)
    if settings.profile not in PROFILES:
        print(f"mockllm: error: unknown profile {settings.profile!r} (known: {', '.join(PROFILES)})", file=sys.stderr)
        return 2
    try:
        return asyncio.run(serve(settings))
    except FixtureError as exc:
        print(f"mockllm: error: {exc}".splitlines()[0], file=sys.stderr)
        for line in str(exc).splitlines()[1:]:
            print(f"  {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
