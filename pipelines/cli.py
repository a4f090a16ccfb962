"""The `pathlens` command: demo, refresh, dashboard, report, sql, metrics, export, check-config."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from pipelines import DEFAULT_CONFIG_FILE, DEFAULT_WAREHOUSE, WAREHOUSE_ENV

if sys.argv[1:2] == ["sql"]:
    # `pathlens sql`: the query process (Python + DuckDB, ~0.3 s) starts now and warms up while
    # this one imports Typer and reads the command line (bench/bench_cli.py times the pair)
    from pipelines.query import prestart

    prestart()

import typer  # noqa: E402 - after the early start above
from typer.core import TyperGroup  # noqa: E402

if TYPE_CHECKING:
    from pipelines.config import Settings

# Heavy modules (pydantic, polars, rich, dagster) are imported where a command needs them, so
# `pathlens sql` starts fast.


class _Group(TyperGroup):
    """The command group; its help shows no value type beside flags (a flag takes no value)."""

    def get_command(self, ctx, cmd_name):
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _untyped_flags(command.get_params(ctx))
        return command

    def get_params(self, ctx):
        params = super().get_params(ctx)
        _untyped_flags(params)
        return params


def _untyped_flags(params) -> None:
    # Typer's help shows each option's type (`<int>`); for a flag that reads `<bool>`, as if it
    # took a value. An empty metavar leaves the type column blank for flags only.
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""


app = typer.Typer(
    cls=_Group,
    help="pathlens: are your golden paths actually used?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
class _LazyConsole:
    """A rich Console made on first use: importing rich is start-up time most commands skip."""

    def __init__(self, **options):
        self._options = options
        self._console = None

    @property
    def real(self):
        """The rich Console itself (for APIs that take one, like Progress)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str):
        return getattr(self.real, name)


console = _LazyConsole()
err = _LazyConsole(stderr=True, soft_wrap=True)  # one error, one line: never wrapped

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DASHBOARD_SERVER = PROJECT_ROOT / "dashboards" / "serve.py"

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="pathlens.yaml to read (default: ./pathlens.yaml).")
]


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a one-line reason on stderr and return the exit to raise."""
    from rich.markup import escape

    from pipelines.scrub import scrub

    err.print(f"[bold red]error:[/] {escape(scrub(message))}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(code)


def _load(config: Path) -> Settings:
    from pipelines.config import ConfigError, load_settings

    try:
        settings = load_settings(config)
        from pipelines.scrub import install_logging_filter, register_from_settings

        register_from_settings(settings)
        install_logging_filter()
        return settings
    except ConfigError as exc:
        for line in exc.errors:
            err.print(f"{exc.path}: {line}", highlight=False, markup=False)
        raise fail(f"{exc.path} has {len(exc.errors)} error(s)") from None


def _warehouse_for(config: Path, warehouse: Path | None) -> Path:
    """The warehouse a reader command opens: --warehouse, else the config's, else the default."""
    if warehouse is not None:
        return warehouse
    if config.exists():
        return Path(_load(config).warehouse)
    return Path(DEFAULT_WAREHOUSE)


def _materialise(resource, selection: str | None) -> None:
    """Run a refresh with a progress bar; exit non-zero with a one-line reason on failure."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from pipelines.progress import listening
    from pipelines.runner import run_refresh
    from pipelines.warehouse import RefreshBusy, WarehousePathError

    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console.real,
        transient=False,
    ) as progress:
        task = progress.add_task("refresh: starting", total=None)
        source_task = None
        assets_done = 0

        def on_source_progress(stage: str, done: int, total: int) -> None:
            nonlocal source_task
            if source_task is None:
                source_task = progress.add_task(stage, total=total or None)
            progress.update(source_task, description=stage, completed=done, total=total or None)

        def on_event(kind: str, step: str) -> None:
            nonlocal assets_done
            if kind == "STEP_START":
                progress.update(task, description=f"refresh: {step}")
            elif kind == "ASSET_MATERIALIZATION":  # the models share one step: say which is done
                assets_done += 1
                progress.update(task, description=f"refresh: {step}", completed=assets_done)

        with listening(on_source_progress):
            try:
                # the definitions and Dagster's instance live as long as this process: frozen once
                # loaded, Python's full collections during the run no longer walk them
                outcome = run_refresh(resource, selection=selection, on_event=on_event, on_ready=gc.freeze)
            except (RefreshBusy, WarehousePathError) as exc:
                progress.stop()
                raise fail(str(exc)) from None
        progress.update(task, description="refresh: done", total=assets_done)

    _print_summary(resource, outcome)
    if outcome.failed_checks:
        raise fail(f"data checks failed ({', '.join(outcome.failed_checks)}); the published warehouse was left unchanged")
    if outcome.failed_steps:
        from pipelines.scrub import scrub

        for step, message in outcome.failure_messages.items():
            err.print(scrub(f"{step}: {message}"), markup=False, highlight=False)
        if outcome.not_built:
            err.print(f"not built, as what they read failed: {', '.join(outcome.not_built)}", markup=False,
                      highlight=False)
        raise fail(f"failed: {', '.join(outcome.failed_steps)}")


def _print_summary(resource, outcome) -> None:
    from rich.table import Table

    table = Table(title="refresh summary", show_header=True, header_style="bold")
    table.add_column("asset")
    table.add_column("rows / detail", justify="right")
    for key, meta in sorted(outcome.metadata.items()):
        if "rows" in meta:
            table.add_row(key, f"{meta['rows']:,}")
    console.print(table)
    summary = _source_summary(resource, outcome.run_id)
    if summary is not None:
        console.print(summary)
    for line in _data_quality_warnings(resource.paths().build):
        err.print(f"data-quality warning: {line}", markup=False, highlight=False)
    if outcome.published:
        console.print(f"published [bold]{resource.paths().published}[/]")


def _data_quality_warnings(warehouse: Path) -> list[str]:
    """The data-quality warnings (pipelines.data_quality) of a warehouse; none when it is absent."""
    import duckdb

    from pipelines.data_quality import team_label_warnings
    from pipelines.warehouse import open_reader

    try:
        con = open_reader(warehouse)
    except (FileNotFoundError, duckdb.Error):
        return []
    try:
        return team_label_warnings(con)
    finally:
        con.close()


def _source_summary(resource, run_id: str):
    """The GitHub source's one-screen accounting (requests, 304s, failures), when it ran."""
    if resource.settings().is_demo:
        return None
    try:
        from pipelines.sources.github import render_summary
        from pipelines.warehouse import writer
    except ImportError:
        return None
    with writer(resource.paths().build) as con:
        return render_summary(con, run_id)


@app.command()
def demo(
    scale: Annotated[str | None, typer.Option(help="tiny | small | default | large (default: default).")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the demo organisation (default 7).")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="The demo's 'now' (ISO date); default today.")] = None,
    warehouse: Annotated[Path | None, typer.Option(help=f"Warehouse file to build (default {DEFAULT_WAREHOUSE}).")] = None,
    dashboard: Annotated[bool, typer.Option("--dashboard/--no-dashboard", help="Start the dashboard afterwards.")] = True,
    port: Annotated[int, typer.Option(help="Dashboard port.")] = 8501,
    config: ConfigOption = Path(DEFAULT_CONFIG_FILE),
) -> None:
    """Build the demo organisation, materialise every asset, and start the dashboard.

    A `demo:` configuration (--config, default ./pathlens.yaml) is used when there is one, the
    options above overriding its scale, seed and date; a live configuration is left aside.
    """
    from pipelines.resources import PathlensResource

    if scale is not None and scale not in ("tiny", "small", "default", "large"):
        raise fail(f"--scale must be tiny, small, default or large, not {scale!r}")
    if config.exists():
        _load(config)  # a broken file is reported, not silently replaced by the defaults
    resource = PathlensResource(
        config_path=str(config), demo=True, demo_scale=scale or "", demo_seed=seed, as_of=as_of or "",
        warehouse=str(warehouse) if warehouse else "",
    )
    settings = resource.settings()
    published = resource.paths().published
    console.print(f"pathlens demo: organisation [bold]acme[/] at scale [bold]{settings.demo.scale}[/] "
                  f"(seed {settings.demo.seed}) → {published}")
    _materialise(resource, selection=None)
    if dashboard:
        _serve_dashboard(published, port)


@app.command()
def refresh(
    config: ConfigOption = Path(DEFAULT_CONFIG_FILE),
    select: Annotated[str | None, typer.Option("--select", help="Dagster asset selection, e.g. 'key:raw/*'.")] = None,
) -> None:
    """Materialise the assets against the configured sources."""
    from pipelines.resources import PathlensResource

    if not config.exists():
        raise fail(f"{config}: file not found (run `pathlens demo` for the demo organisation)")
    settings = _load(config)  # validate before anything is fetched
    if settings.github is not None and _selects_github(select):
        _check_github_credentials(settings)  # a bad credential stops the refresh before any write
    _materialise(PathlensResource(config_path=str(config)), selection=select)


def _selects_github(selection: str | None) -> bool:
    """Whether a refresh with this selection reads GitHub (a rebuild from raw does not)."""
    from pipelines.runner import selected_asset_keys

    return "raw/repos" in selected_asset_keys(selection)


def _check_github_credentials(settings: Settings) -> None:
    from pipelines.sources.github import CredentialError, GitHubSource, SourceError

    try:
        GitHubSource(settings).check_credentials()
    except (CredentialError, SourceError) as exc:
        raise fail(str(exc)) from None


def dashboard_command(port: int, entry: Path = DASHBOARD_SERVER) -> list[str]:
    """The command serving the dashboard on 127.0.0.1:`port`, as `pathlens dashboard` runs it (the
    tests and benchmarks too). Streamlit's other settings are in dashboards/.streamlit/config.toml."""
    return [sys.executable, "-m", "streamlit", "run", str(entry),
            "--server.address", "127.0.0.1", "--server.port", str(port)]


def _serve_dashboard(warehouse: Path, port: int) -> None:
    env = {**os.environ, WAREHOUSE_ENV: str(warehouse.resolve())}
    command = dashboard_command(port)
    console.print(f"dashboard on [bold]http://127.0.0.1:{port}[/] (Ctrl+C to stop)")
    try:
        subprocess.run(command, env=env, check=False)
    except KeyboardInterrupt:
        pass


@app.command()
def dashboard(
    config: ConfigOption = Path(DEFAULT_CONFIG_FILE),
    warehouse: Annotated[Path | None, typer.Option(help="Published warehouse to read.")] = None,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8501,
) -> None:
    """Serve the Streamlit dashboard on 127.0.0.1."""
    path = _warehouse_for(config, warehouse)
    if not path.exists():
        raise fail(f"no warehouse at {path}: run `pathlens demo` or `pathlens refresh` first")
    _serve_dashboard(path, port)


@app.command()
def report(
    config: ConfigOption = Path(DEFAULT_CONFIG_FILE),
    out: Annotated[Path | None, typer.Option("--out", help="Folder for the report (default: reports.out_dir).")] = None,
    period: Annotated[str, typer.Option(help="week | month: the last complete one.")] = "week",
    warehouse: Annotated[Path | None, typer.Option(help="Published warehouse to report on.")] = None,
    deliver: Annotated[bool, typer.Option("--deliver/--no-deliver", help="POST the summary to the webhook, if configured.")] = False,
) -> None:
    """Write the report (HTML with charts, Markdown, CSV) for the last complete week or month."""
    from pipelines.reports import deliver_report, write_report
    from pipelines.sources.demo_conventions import demo_settings

    if period not in ("week", "month"):
        raise fail(f"--period must be week or month, not {period!r}")
    settings = _load(config) if config.exists() else demo_settings()
    path = warehouse or Path(settings.warehouse)
    if not path.exists():
        raise fail(f"no warehouse at {path}: run `pathlens demo` or `pathlens refresh` first")
    from pipelines.warehouse import WarehouseUnreadable

    try:
        files = write_report(path, out or Path(settings.reports.out_dir), period, settings)
    except WarehouseUnreadable as exc:
        raise fail(str(exc)) from None
    console.print(f"{period}ly report for {files.period.slug}:")
    for file in files.all:
        console.print(f"  {file}", markup=False, highlight=False)
    if deliver:
        result = deliver_report(files, settings)
        detail = f" ({result.error})" if result.error else ""
        console.print(f"webhook: {result.status} after {result.attempts} attempt(s){detail}", markup=False, highlight=False)


@app.command()
def sql(
    query: Annotated[str | None, typer.Argument(help="A read-only query; none opens a prompt.")] = None,
    config: ConfigOption = Path(DEFAULT_CONFIG_FILE),
    warehouse: Annotated[Path | None, typer.Option(help="Published warehouse to query.")] = None,
    max_rows: Annotated[int, typer.Option(help="Rows shown at most.")] = 200,
    timeout: Annotated[float, typer.Option(help="Seconds before a query is interrupted.")] = 30.0,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table (fits the terminal) | csv | json | markdown.")] = "table",
) -> None:
    """Run a read-only query against the warehouse, or open an interactive prompt.

    The prompt takes statements ending in `;` over several lines, keeps a history, and knows
    .tables, .schema TABLE and .help. With input from a file or a pipe it runs each statement.
    """
    from pipelines.query import QueryError, execute_rows, prestart
    from pipelines.table_format import FORMATS

    prestart()  # the query process starts (imports DuckDB) while the configuration is read

    if fmt not in FORMATS:
        raise fail(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    path = _warehouse_for(config, warehouse)
    if not path.exists():
        raise fail(f"no warehouse at {path}: run `pathlens demo` or `pathlens refresh` first")
    def run_one(text: str) -> bool:
        try:
            result = execute_rows(path, text, timeout_s=timeout, max_rows=max_rows, keep_warm=query is None)
        except (QueryError, FileNotFoundError) as exc:
            _error_line(str(exc))
            return False
        _print_rows(result.columns, result.rows, truncated=result.truncated, max_rows=max_rows, fmt=fmt)
        return True

    if query is not None:
        if not run_one(query):
            raise typer.Exit(1)
        return
    from pipelines.sql_shell import Shell, interactive_inputs

    if sys.stdin.isatty():
        _out(f"pathlens sql on {path} (read-only). End statements with ';'. .help for help, .quit or Ctrl+D to leave.")
    shell = Shell(run=run_one, write=_out)
    shell.loop(interactive_inputs())


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _error_line(message: str) -> None:
    """One error on stderr, its text shown as data (no terminal escapes)."""
    from pipelines.table_format import visible

    lines = message.strip().splitlines() or ["failed"]
    sys.stderr.write("error: " + "\n       ".join(visible(line) for line in lines) + "\n")
    sys.stderr.flush()


def _print_rows(columns: list[str], rows: list[tuple], *, truncated: bool, max_rows: int, fmt: str) -> None:
    """Rows in the chosen format on stdout; the row count (a table) or a truncation warning on stderr."""
    import shutil

    from pipelines.table_format import render, visible

    if fmt == "table" and list(columns) == ["explain_key", "explain_value"]:
        for _key, plan in rows:  # DuckDB's plan is already drawn as a tree: show it as it is
            _out("\n".join(visible(line) for line in str(plan).splitlines()))
        return
    width = shutil.get_terminal_size((100, 24)).columns
    _out(render(fmt, columns, rows, width=width))
    if fmt == "table":
        _out(f"{len(rows):,} row(s)" + (f" (the first {max_rows:,}; --max-rows shows more)" if truncated else ""))
    elif truncated:
        sys.stderr.write(f"warning: only the first {max_rows:,} rows were written (--max-rows)\n")


@app.command()
def metrics(
    config: ConfigOption = Path(DEFAULT_CONFIG_FILE),
    warehouse: Annotated[Path | None, typer.Option(help="Published warehouse to read.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="File to write (e.g. for node_exporter's textfile collector); default stdout.")] = None,
    text_format: Annotated[bool, typer.Option("--prometheus-text", help="Prometheus' 0.0.4 text format instead of OpenMetrics.")] = False,
    serve: Annotated[bool, typer.Option("--serve", help="Serve /metrics and /facts over HTTP instead.")] = False,
    host: Annotated[str, typer.Option(help="Address to bind with --serve.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port with --serve.")] = 9477,
) -> None:
    """Write the current figures in the OpenMetrics text format, or serve them (--serve)."""
    from pipelines.exports.commands import serve_exports, write_metrics

    path = _warehouse_for(config, warehouse)
    if serve:
        serve_exports(path, host=host, port=port, console=console, fail=fail)
    else:
        write_metrics(path, out, openmetrics=not text_format, fail=fail)


export_app = typer.Typer(help="Export figures for other tools.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("backstage-facts")
def export_backstage_facts(
    config: ConfigOption = Path(DEFAULT_CONFIG_FILE),
    warehouse: Annotated[Path | None, typer.Option(help="Published warehouse to read.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="JSON file to write; default stdout.")] = None,
) -> None:
    """Write per-component facts for Backstage Tech Insights as JSON (docs/backstage.md)."""
    from pipelines.exports.commands import write_backstage_facts

    write_backstage_facts(_warehouse_for(config, warehouse), out, fail=fail)


@app.command("check-config")
def check_config(
    file: Annotated[Path | None, typer.Argument(help="Configuration file (default: --config).")] = None,
    config: ConfigOption = Path(DEFAULT_CONFIG_FILE),
) -> None:
    """Validate a configuration file and print what it would read.

    Exits 1 only when the file itself is invalid (each error with its key path); what this
    machine lacks (an unset token variable, a key file, a kubeconfig context) is a warning.
    """
    from pipelines.config import ConfigError, load_settings

    path = file or config
    try:
        settings = load_settings(path)
    except ConfigError as exc:
        for line in exc.errors:
            err.print(f"{exc.path}: {line}", highlight=False, markup=False)
        raise fail(f"{exc.path} is invalid: {len(exc.errors)} error(s); nothing was checked beyond them") from None
    from pipelines.describe import describe_settings
    from pipelines.preflight import preflight_problems

    console.print(describe_settings(settings, path))
    for line in _data_quality_warnings(Path(settings.warehouse)):
        err.print(f"{path}: data-quality warning (last refresh): {line}", markup=False, highlight=False)
    problems = preflight_problems(settings)
    for line in problems:
        err.print(f"warning: {path}: {line}", markup=False, highlight=False)
    if problems:
        err.print(f"{path} is valid, with {len(problems)} warning(s): this machine lacks what they name, "
                  "so a refresh here fails until they are fixed", markup=False, highlight=False)


def main() -> None:
    """The `pathlens` console script (and `python -m pipelines.cli`): the command, then an exit
    without a last collection of the process's garbage.

    At exit Python collects every object still reachable only through cycles: after a refresh,
    Dagster's definitions and instance, pydantic's schemas and the like, ~0.6 s of the default
    demo's ~7 s (bench/bench_cli.py). Every file is closed by then (each DuckDB and SQLite
    connection is closed where it is used), so they are frozen instead: exempt from collection,
    and freed with the process."""
    try:
        app()
    finally:
        gc.freeze()


if __name__ == "__main__":  # pragma: no cover
    main()
