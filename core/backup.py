"""Backups of the national database and of every stored file, and their restoration.

A backup is one folder: `database.dump` (pg_dump, custom format), `files/<SETTING>/…` (the files under
each file root the settings name) and `manifest.json`: every table's row count and content checksum,
taken in the very snapshot pg_dump reads, and every file's size and SHA-256. A restore loads the dump
in one transaction, writes the files back under the roots of the settings where it runs, then reads
both again and compares them with the manifest.

pg_dump, pg_restore and psql come from Debian's postgresql-client; the password reaches them through
PGPASSWORD, never on their command line.
"""

import contextlib
import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from psycopg import sql

FORMAT = "mineaction-backup/1"
MANIFEST = "manifest.json"
DUMP = "database.dump"
FILES = "files"
# Settings that name a folder of stored files: uploads kept for imports, what field submissions carry,
# the files workers write (exports, treaty reports). MEDIA_ROOT only counts when a deployment sets it.
FILE_ROOT_SETTINGS = ("EXPORT_ROOT", "IMPORT_ROOT", "FIELD_ATTACHMENT_ROOT", "MEDIA_ROOT")
# What `migrate` alone writes into an empty database: a database holding rows only there holds no
# records yet, and a restore may replace it without being told to.
WRITTEN_BY_MIGRATE = frozenset(
    f"public.{table}"
    for table in (
        "django_migrations", "django_content_type", "auth_permission", "auth_group", "auth_group_permissions",
        "django_celery_beat_crontabschedule", "django_celery_beat_intervalschedule",
        "django_celery_beat_periodictask", "django_celery_beat_periodictasks", "reports_summarystate",
    )
)  # fmt: skip

Log = Callable[[str], None]


class BackupError(Exception):
    """A backup or a restore that could not be done, or whose result differs from its manifest."""


# --- The database and its clients -------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    """Where Django's own connection goes (the test database under pytest), for psycopg and the clients."""

    name: str
    user: str
    password: str
    host: str
    port: str
    sslmode: str

    @classmethod
    def from_settings(cls, alias: str = DEFAULT_DB_ALIAS) -> "Database":
        conf = connections[alias].settings_dict
        return cls(
            name=conf["NAME"], user=conf.get("USER") or "", password=conf.get("PASSWORD") or "",
            host=conf.get("HOST") or "", port=str(conf.get("PORT") or ""),
            sslmode=(conf.get("OPTIONS") or {}).get("sslmode", ""),
        )  # fmt: skip

    def client_arguments(self) -> list[str]:
        arguments = ["--no-password", "--dbname", self.name]
        if self.host:
            arguments += ["--host", self.host]
        if self.port:
            arguments += ["--port", self.port]
        if self.user:
            arguments += ["--username", self.user]
        return arguments

    def client_environment(self) -> dict[str, str]:
        environment = {**os.environ, "PGCONNECT_TIMEOUT": "10", "PGAPPNAME": "mineaction-backup"}
        # Session options of the caller's environment (a statement timeout) must not cut a dump short.
        environment.pop("PGOPTIONS", None)
        if self.password:
            environment["PGPASSWORD"] = self.password
        if self.sslmode:
            environment["PGSSLMODE"] = self.sslmode
        return environment

    def connect(self, **kwargs) -> psycopg.Connection:
        params = {"dbname": self.name, "user": self.user, "password": self.password, "host": self.host,
                  "port": self.port, "sslmode": self.sslmode}  # fmt: skip
        try:
            # PostGIS's function costs make PostgreSQL JIT-compile short queries (settings: jit=off).
            return psycopg.connect(**{k: v for k, v in params.items() if v}, options="-c jit=off", **kwargs)
        except psycopg.OperationalError as exc:
            raise BackupError(f"Cannot connect to the database {self.name}: {exc}") from None


def client(program: str) -> tuple[str, int]:
    """The path of a PostgreSQL client program and its major version."""
    # Debian installs each major version's clients side by side; /usr/bin's wrapper may choose an
    # older one than the newest installed, which reads every older server and archive.
    versioned = sorted(
        (path for path in Path("/usr/lib/postgresql").glob(f"*/bin/{program}") if path.parts[-3].isdigit()),
        key=lambda path: int(path.parts[-3]),
    )
    path = str(versioned[-1]) if versioned else shutil.which(program)
    if path is None:
        raise BackupError(f"{program} is missing: install Debian's postgresql-client (scripts/setup.sh does).")
    output = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout  # noqa: S603  # nosec B603 # PostgreSQL's own client, a list of arguments, no shell
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", output)
    if match is None:
        raise BackupError(f"Cannot read the version of {path}: {output.strip()!r}")
    return path, int(match.group(1))


def _client_not_older(program: str, database: Database) -> tuple[str, int]:
    """A client older than the server cannot read it whole (pg_dump refuses): said before starting."""
    path, major = client(program)
    with database.connect(autocommit=True) as conn:
        server = conn.info.server_version // 10000
    if major < server:
        raise BackupError(
            f"{program} {major} is older than the PostgreSQL {server} server: install postgresql-client-{server}."
        )
    return path, major


# --- Tables and their figures ------------------------------------------------------------------------

# Schemas of our own (not PostgreSQL's), objects that no extension owns (PostGIS's spatial_ref_sys).
_OURS = """n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
    AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = '{catalog}'::regclass AND d.objid = {oid}
                    AND d.deptype = 'e')"""
# Only the constant above is formatted into these statements.
_TABLES = f"""
    SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND {_OURS.format(catalog="pg_class", oid="c.oid")} ORDER BY 1, 2"""  # noqa: S608  # nosec B608 # only the constant above is formatted in


def _tables(conn: psycopg.Connection) -> dict[str, sql.Identifier]:
    return {f"{schema}.{name}": sql.Identifier(schema, name) for schema, name in conn.execute(_TABLES).fetchall()}


def _deterministic_text(conn: psycopg.Connection) -> None:
    """Rows printed alike on any server and session: the checksums compare two databases."""
    conn.execute(
        "SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; "
        "SET extra_float_digits = 1; SET bytea_output = 'hex'"
    )


def table_figures(conn: psycopg.Connection) -> dict[str, dict]:
    """Each table's row count and a checksum of its content: the MD5 of its rows' MD5s in order, so
    that neither the rows' physical order nor a sort of whole rows in memory matters."""
    _deterministic_text(conn)
    figures = {}
    for key, table in _tables(conn).items():
        rows, checksum = conn.execute(
            sql.SQL(
                "SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h COLLATE \"C\"), '')) "
                "FROM (SELECT md5(t::text) AS h FROM {} AS t) AS hashed"
            ).format(table)
        ).fetchone()
        figures[key] = {"rows": rows, "checksum": checksum}
    return figures


def _extensions(conn: psycopg.Connection) -> dict[str, dict]:
    return {
        name: {"version": version, "schema": schema}
        for name, version, schema in conn.execute(
            "SELECT e.extname, e.extversion, n.nspname FROM pg_extension e "
            "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql'"
        )
    }


def _extension_rows(conn: psycopg.Connection) -> dict[str, int]:
    """Rows of the extensions' configuration tables that pg_dump keeps, by the condition each extension
    declares: rows added by users (a custom spatial reference system), or all of them (the loader
    tables of postgis_tiger_geocoder, which the compose database image installs)."""
    counts = {}
    for schema, name, condition in conn.execute(
        "SELECT n.nspname, c.relname, coalesce(e.extcondition[i], '') FROM pg_extension e "
        "CROSS JOIN LATERAL generate_subscripts(e.extconfig, 1) AS i "
        "JOIN pg_class c ON c.oid = e.extconfig[i] JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind = 'r'"
    ).fetchall():
        query = sql.SQL("SELECT count(*) FROM {} ").format(sql.Identifier(schema, name)) + sql.SQL(condition)
        counts[f"{schema}.{name}"] = conn.execute(query).fetchone()[0]
    return counts


def _records(conn: psycopg.Connection) -> dict[str, int]:
    """Tables holding rows other than those `migrate` writes, with their row counts."""
    held = {}
    for key, table in _tables(conn).items():
        if key in WRITTEN_BY_MIGRATE:
            continue
        if conn.execute(sql.SQL("SELECT EXISTS (SELECT FROM {})").format(table)).fetchone()[0]:
            held[key] = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()[0]
    return held


# --- Files ------------------------------------------------------------------------------------------


def file_roots() -> dict[str, Path]:
    """The folders of stored files the settings name here."""
    return {name: Path(getattr(settings, name)) for name in FILE_ROOT_SETTINGS if getattr(settings, name, "")}


def _files_under(root: Path, *, skip: tuple[Path, ...] = ()) -> list[str]:
    """Every regular file under `root`, as a POSIX path relative to it, sorted."""
    found = []
    for folder, subfolders, names in os.walk(root):
        # A backup written inside a file root is not part of the files it backs up.
        subfolders[:] = sorted(d for d in subfolders if Path(folder, d).resolve() not in skip)
        for name in names:
            path = Path(folder, name)
            if path.is_file() and not path.is_symlink():
                found.append(path.relative_to(root).as_posix())
    return sorted(found)


def _copy(source: Path, target: Path) -> dict:
    """Copies a file and answers the size and SHA-256 of the bytes it wrote, keeping its times."""
    digest, size = hashlib.sha256(), 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(source, "rb") as read, open(target, "wb") as out:
        while chunk := read.read(1024 * 1024):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    stat = source.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return {"size": size, "sha256": digest.hexdigest()}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as read:
        while chunk := read.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _inside(root: Path, relative: str) -> Path:
    """The file `relative` under `root`; a manifest naming a path outside it is refused."""
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()) or path == root.resolve():
        raise BackupError(f"The manifest names a file outside its folder: {relative!r}")
    return path


# --- Backup -----------------------------------------------------------------------------------------


def default_folder() -> Path:
    """A dated folder in the var folder beside manage.py, where the file roots live by default."""
    return Path(settings.BASE_DIR) / "var" / "backups" / datetime.datetime.now().strftime("%Y-%m-%d_%H%M%S")


def backup_create(*, folder: Path, log: Log = print) -> dict:
    """Writes a backup into `folder` (new, or empty) and answers its manifest. It is written under
    a temporary name beside it and renamed once complete: a folder of that name is a whole backup."""
    folder = folder.expanduser().absolute()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(f"{folder} exists and is not an empty folder: name a new one.")
    database = Database.from_settings()
    pg_dump, major = _client_not_older("pg_dump", database)
    partial = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    # Casualty identities are personal data: the backup is readable by its owner only.
    partial.mkdir(parents=True, mode=0o700)
    try:
        manifest = {"format": FORMAT, "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")}
        manifest["database"] = {"pg_dump_version": major, **_dump(database, pg_dump, partial / DUMP, log)}
        manifest["files"] = {}
        for name, root in file_roots().items():
            files = {}
            for relative in _files_under(root, skip=(folder.resolve(), partial.resolve())):
                files[relative] = _copy(root / relative, partial / FILES / name / relative)
            manifest["files"][name] = {"folder": str(root), "files": files}
            log(f"{name}: {len(files)} files, {sum(f['size'] for f in files.values())} bytes from {root}")
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        if folder.exists():
            folder.rmdir()
        os.replace(partial, folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return manifest


def _dump(database: Database, pg_dump: str, path: Path, log: Log) -> dict:
    """pg_dump reads the snapshot a transaction of ours exported, in which the tables are counted at
    the same time: the figures describe exactly the rows of the dump, whatever is written meanwhile."""
    with database.connect() as conn, tempfile.TemporaryFile() as errors:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        arguments = [pg_dump, *database.client_arguments(), "--format=custom", f"--snapshot={snapshot}",
                     "--file", str(path)]  # fmt: skip
        dump = subprocess.Popen(  # noqa: S603  # nosec B603 # PostgreSQL's own client, a list of arguments, no shell
            arguments, env=database.client_environment(), stdout=subprocess.DEVNULL, stderr=errors
        )
        try:
            described = {
                "name": database.name,
                "server_version": conn.execute("SHOW server_version").fetchone()[0],
                "extensions": _extensions(conn),
                "extension_rows": _extension_rows(conn),
                "tables": table_figures(conn),
            }
        finally:
            dump.wait()
        conn.rollback()
        if dump.returncode != 0:
            errors.seek(0)
            raise BackupError(f"pg_dump failed: {errors.read().decode(errors='replace').strip()}")
    described.update(dump=DUMP, size=path.stat().st_size, sha256=sha256(path))
    rows = sum(table["rows"] for table in described["tables"].values())
    log(f"Database {database.name}: {len(described['tables'])} tables, {rows} rows, {described['size']} bytes")
    return described


# --- Restore ----------------------------------------------------------------------------------------

# Everything of ours in the database, dropped in the restore's own transaction before the dump is
# loaded: the tables, views and sequences, functions (pgtrigger's, pghistory's) and types. What the
# extensions own stays.
_EMPTY = f"""
DO $empty$
DECLARE
    statements text[] := ARRAY(
        SELECT format('DROP %s IF EXISTS %I.%I CASCADE', CASE c.relkind WHEN 'v' THEN 'VIEW'
                      WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE'
                      ELSE 'TABLE' END, n.nspname, c.relname)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND {_OURS.format(catalog="pg_class", oid="c.oid")}
          -- A column's own sequence (serial, identity) goes with its table.
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                          AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
        UNION ALL
        SELECT format('DROP %s IF EXISTS %I.%I(%s) CASCADE', CASE p.prokind WHEN 'p' THEN 'PROCEDURE'
                      WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END, n.nspname, p.proname,
                      pg_get_function_identity_arguments(p.oid))
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE {_OURS.format(catalog="pg_proc", oid="p.oid")}
        UNION ALL
        SELECT format('DROP TYPE IF EXISTS %I.%I CASCADE', n.nspname, t.typname)
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE (t.typtype IN ('d', 'e', 'r')
               OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
          AND {_OURS.format(catalog="pg_type", oid="t.oid")}
    );
    statement text;
BEGIN
    FOREACH statement IN ARRAY statements LOOP
        EXECUTE statement;
    END LOOP;
END
$empty$;
"""  # noqa: S608  # nosec B608 # only constants of this module are formatted in


@dataclass
class Restored:
    tables: int
    rows: int
    files: int
    # Files found under the roots that the backup does not hold, left where they were.
    others: int


def read_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{folder} holds no {MANIFEST}: it is not a backup.") from None
    except ValueError as exc:
        raise BackupError(f"{folder / MANIFEST} is not valid JSON: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{folder / MANIFEST} is not a manifest of {FORMAT}.")
    return manifest


def backup_restore(*, folder: Path, overwrite: bool = False, log: Log = print) -> Restored:
    """Restores a backup into the database and the file roots of the settings, then compares them
    with the manifest: BackupError lists every difference. A database holding records, or file
    roots holding files, are replaced only with `overwrite`; the database is replaced in one
    transaction (on any error it is left as it was)."""
    folder = folder.expanduser().absolute()
    manifest = read_manifest(folder)
    dumped = manifest["database"]
    if sha256(folder / DUMP) != dumped["sha256"]:
        raise BackupError(f"{folder / DUMP} differs from the manifest (SHA-256): nothing was restored.")
    roots = file_roots()
    unknown = sorted(set(manifest["files"]) - set(roots))
    if unknown:
        raise BackupError(f"The backup holds files of {', '.join(unknown)}, which the settings here do not set.")
    database = Database.from_settings()
    pg_restore, major = _client_not_older("pg_restore", database)
    # pg_restore reads the archives of its own and earlier versions only.
    if major < dumped["pg_dump_version"]:
        raise BackupError(
            f"pg_restore {major} cannot read a dump of pg_dump {dumped['pg_dump_version']}: install "
            f"postgresql-client-{dumped['pg_dump_version']}."
        )
    psql, _major = client("psql")

    with database.connect(autocommit=True) as conn:
        held = _records(conn)
        stored = {name: len(_files_under(roots[name])) for name in manifest["files"]}
        if not overwrite and (held or any(stored.values())):
            raise BackupError(_refusal(database.name, held, stored))
        _create_extensions(conn, dumped["extensions"])
        # Rows of an extension's own table are loaded only where it has none of that kind: the rows
        # an extension writes when it is created would be there twice.
        present = {table: rows for table, rows in _extension_rows(conn).items() if rows}
        # Schemas there already (an extension's own, such as tiger or topology) are not created again.
        schemas = {name for (name,) in conn.execute("SELECT nspname FROM pg_namespace")}

    with tempfile.TemporaryDirectory() as work:
        listing = Path(work, "list")
        kept = {table for table, rows in dumped["extension_rows"].items() if rows and table not in present}
        listing.write_text(_restore_list(folder / DUMP, pg_restore, dumped, kept, schemas, database))
        _load(folder / DUMP, listing, pg_restore, psql, database)
    log(f"Database {database.name}: restored from {folder / DUMP}")

    copied, others, lost = 0, 0, []
    for name, described in manifest["files"].items():
        root = roots[name]
        before = set(_files_under(root))
        for relative in described["files"]:
            target, source = _inside(root, relative), folder / FILES / name / relative
            # A file lost from the backup is reported with the other differences below.
            if not source.is_file():
                lost.append(f"{name}/{relative}: missing from the backup")
                continue
            partial = target.with_name(f".{target.name}.restoring")
            _copy(source, partial)
            os.replace(partial, target)
            copied += 1
        others += len(before - set(described["files"]))
        log(f"{name}: {len(described['files'])} files written to {root}")

    _figures_changed()
    differences = lost + verify(manifest, folder=folder, database=database, roots=roots)
    if differences:
        raise BackupError(
            f"The restored data differs from the manifest ({len(differences)} difference"
            f"{'s' if len(differences) > 1 else ''}):\n  " + "\n  ".join(differences)
        )
    tables = dumped["tables"]
    return Restored(tables=len(tables), rows=sum(t["rows"] for t in tables.values()), files=copied, others=others)


def _refusal(name: str, held: dict[str, int], stored: dict[str, int]) -> str:
    found = []
    if held:
        largest = sorted(held.items(), key=lambda item: -item[1])[:3]
        found.append(
            f"database {name}: {sum(held.values())} rows in {len(held)} tables ("
            + ", ".join(f"{table}: {rows}" for table, rows in largest)
            + (", …)" if len(held) > len(largest) else ")")
        )
    found += [f"{root}: {count} file{'s' if count > 1 else ''}" for root, count in stored.items() if count]
    return (
        f"Records are already there ({'; '.join(found)}). Nothing was restored; to replace them, say so (--overwrite)."
    )


def _create_extensions(conn: psycopg.Connection, wanted: dict[str, dict]) -> None:
    """The extensions of the backup that the database lacks, created before the restore, in their
    schemas. PostGIS is no trusted extension: only a superuser may create it."""
    missing = {name: described for name, described in sorted(wanted.items()) if name not in _extensions(conn)}
    name = ""
    try:
        # All or none: a refused restore leaves the database as it was.
        with conn.transaction():
            for name, described in missing.items():
                conn.execute(
                    sql.SQL("CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {} CASCADE").format(
                        sql.Identifier(name), sql.Identifier(described["schema"])
                    )
                )
    except psycopg.errors.InsufficientPrivilege:
        raise BackupError(
            f"The database lacks the extension {name}, which only a superuser may create: ask one to run "
            f"CREATE EXTENSION {name}; in it. Nothing was restored."
        ) from None
    except psycopg.Error as exc:
        raise BackupError(f"The extension {name} cannot be created: {exc}. Nothing was restored.") from None


def _restore_list(
    dump: Path, pg_restore: str, dumped: dict, kept: set[str], schemas: set[str], database: Database
) -> str:
    """The dump's table of contents, without what the restoring role may not do and need not: the
    comments on extensions (their owner's), the rows of the extensions' tables not `kept`, and the
    `schemas` the database has already, with their comments."""
    listing = subprocess.run(  # noqa: S603  # nosec B603 # PostgreSQL's own client, a list of arguments, no shell
        [pg_restore, "--list", str(dump)], env=database.client_environment(), capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    if listing.returncode != 0:
        raise BackupError(f"pg_restore cannot read {dump}: {listing.stderr.strip()}")
    skipped = [re.compile(r"^\d+; \d+ \d+ COMMENT - EXTENSION ")]
    for schema in schemas:
        skipped.append(re.compile(rf"^\d+; \d+ \d+ (COMMENT - )?SCHEMA (- )?{re.escape(schema)} "))
    for table in set(dumped["extension_rows"]) - kept:
        schema, _dot, name = table.partition(".")
        skipped.append(re.compile(rf"^\d+; \d+ \d+ TABLE DATA {re.escape(schema)} {re.escape(name)} "))
    return "".join(line for line in listing.stdout.splitlines(keepends=True) if not any(p.match(line) for p in skipped))


# pg_restore empties the search path so that nothing but the dump's own qualified names is read. But a
# trigger condition `old.geometry IS DISTINCT FROM new.geometry` (pghistory's, pgtrigger's) cannot name
# PostGIS's `=` operator: it is only found with `public` on the path, as when the trigger was created.
_EMPTY_PATH = b"SELECT pg_catalog.set_config('search_path', '', false);\n"
_PUBLIC_PATH = b"SELECT pg_catalog.set_config('search_path', 'public', false);\n"


def _load(dump: Path, listing: Path, pg_restore: str, psql: str, database: Database) -> None:
    """pg_restore writes the dump as SQL, which psql runs after emptying the database, all in one
    transaction: the database ends up restored whole, or as it was."""
    environment = database.client_environment()
    with tempfile.TemporaryFile() as restore_errors, tempfile.TemporaryFile() as load_errors:
        script = subprocess.Popen(  # noqa: S603  # nosec B603 # PostgreSQL's own client, a list of arguments, no shell
            [pg_restore, "--no-owner", "--no-privileges", "--use-list", str(listing), "--file", "-", str(dump)],
            env=environment, stdout=subprocess.PIPE, stderr=restore_errors,
        )  # fmt: skip
        load = subprocess.Popen(  # noqa: S603  # nosec B603 # PostgreSQL's own client, a list of arguments, no shell
            [psql, "-X", "--quiet", *database.client_arguments(), "--single-transaction",
             "--set", "ON_ERROR_STOP=1", "--command", _EMPTY, "--file", "-"],
            env=environment, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=load_errors,
        )  # fmt: skip
        try:
            # The path is set in the script's preamble, before any table's data.
            for line in script.stdout:
                load.stdin.write(_PUBLIC_PATH if line == _EMPTY_PATH else line)
                if line.startswith((_EMPTY_PATH, b"COPY ")):
                    break
            shutil.copyfileobj(script.stdout, load.stdin, 1024 * 1024)
        except BrokenPipeError:
            # psql stopped at an error: said below.
            pass
        finally:
            script.stdout.close()
            with contextlib.suppress(BrokenPipeError):
                load.stdin.close()
            script.wait()
            load.wait()
        if script.returncode != 0 or load.returncode != 0:
            restore_errors.seek(0)
            load_errors.seek(0)
            message = (restore_errors.read() + load_errors.read()).decode(errors="replace").strip()
            raise BackupError(f"The database could not be restored; it was left as it was. {message}")


def verify(manifest: dict, *, folder: Path, database: Database, roots: dict[str, Path]) -> list[str]:
    """Every difference between the database and files here and the manifest, one line each."""
    differences = []
    with database.connect(autocommit=True) as conn:
        found = table_figures(conn)
    expected = manifest["database"]["tables"]
    for table in sorted(set(expected) | set(found)):
        if table not in found:
            differences.append(f"table {table}: missing")
        elif table not in expected:
            differences.append(f"table {table}: not in the backup")
        elif found[table]["rows"] != expected[table]["rows"]:
            differences.append(f"table {table}: {found[table]['rows']} rows, {expected[table]['rows']} in the backup")
        elif found[table]["checksum"] != expected[table]["checksum"]:
            differences.append(f"table {table}: content differs (checksum)")
    for name, described in manifest["files"].items():
        for relative, expected_file in described["files"].items():
            path = _inside(roots[name], relative)
            if not path.is_file():
                differences.append(f"{name}/{relative}: missing")
            elif sha256(path) != expected_file["sha256"]:
                differences.append(
                    f"{name}/{relative}: SHA-256 differs from the manifest (the file in {folder / FILES} was changed)"
                )
    return differences


def _figures_changed() -> None:
    """Figures cached before the restore (the dashboard's) are not shown again."""
    from core.statistics import _next_generation

    _next_generation()
