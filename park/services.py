"""Starts and stops the platform's web services for a person to use: ``make up`` / ``make down``.

    .venv/bin/python -m park.services up      # Superset on 127.0.0.1:8088, Airflow UI on 127.0.0.1:8080,
                                              # Airflow's scheduler and DAG processor: the DAGs run on schedule
    .venv/bin/python -m park.services status  # what runs, with its process group, address and log
    .venv/bin/python -m park.services down    # stops exactly the process groups `up` started

Each service runs in its own session and process group (setsid) with a pid file and a log under
``$PARK_DATA_DIR/run/``; ``down`` signals those groups only. Superset runs from its own environment
(``infra/superset/.venv``, DESIGN.md section 8), Airflow from the platform's (``make airflow-env``).

Started by root, a service runs as the unprivileged system user ``PARK_SERVICE_USER`` (default
``park-svc``, created on first use, no shell, no home): it owns only the service's own folders (Superset's
home, the Airflow home) and reads the rest, the serving warehouse included, as any other account would.
"""

from __future__ import annotations

import argparse
import os
import pwd
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SUPERSET_DIR = REPO_ROOT / "infra" / "superset"
SUPERSET_BIN = SUPERSET_DIR / ".venv" / "bin"
AIRFLOW_BIN = REPO_ROOT / ".venv" / "bin" / "airflow"

from parkplatform.config import get_settings, production_problems, runtime_environment


@dataclass(frozen=True)
class Service:
    name: str
    command: list[str]
    env: dict[str, str]
    health_url: str
    login_url: str
    # the only folders the service may write (it owns them when it runs as the service account)
    writable: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int


def service_account() -> Account | None:
    """The unprivileged account services run as when started by root (created on first use), else None:
    a user who is not root runs them as themself."""
    if os.geteuid() != 0:
        return None
    name = os.environ.get("PARK_SERVICE_USER", "").strip() or "park-svc"
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
             "--shell", "/usr/sbin/nologin", name],
            check=True,
        )  # fmt: skip
        entry = pwd.getpwnam(name)
    return Account(name, entry.pw_uid, entry.pw_gid)


def hand_over(folders: tuple[Path, ...], account: Account) -> None:
    """Give the service account its own folders (and nothing else)."""
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            for name in [root, *(os.path.join(root, entry) for entry in dirs + files)]:
                os.chown(name, account.uid, account.gid, follow_symlinks=False)


def check_runnable(service: Service, account: Account) -> None:
    """Fail with what to do when the account cannot run the service's program, e.g. an environment whose
    interpreter lives under /root (mode 700): the Makefile builds them on a system-wide Python."""
    python = Path(service.command[0]).parent / "python"
    probe = subprocess.run(
        [str(python), "-c", "import encodings"], user=account.uid, group=account.gid, extra_groups=[],
        capture_output=True, cwd="/", env={"PATH": "/usr/bin:/bin"}, check=False,
    )  # fmt: skip
    if probe.returncode != 0:
        raise SystemExit(
            f"{service.name}: the service account {account.name} cannot run {python} "
            f"({probe.stderr.decode(errors='replace').strip()[-300:] or 'exit ' + str(probe.returncode)}). "
            "The environments must be built on a Python every account can run: the Makefile uses "
            "/usr/bin/python3.11 when it exists and rebuilds an environment made with another one "
            "(or give one with make PYTHON=...), or set PARK_SERVICE_USER to an account that can run it."
        )


def run_dir(data_dir: Path) -> Path:
    path = data_dir / "run"
    path.mkdir(parents=True, exist_ok=True)
    return path


def superset_home(data_dir: Path) -> Path:
    return data_dir / "superset"


def superset_environment(data_dir: Path, port: int) -> dict[str, str]:
    """Superset's environment: its home under the data folder; on the PostgreSQL warehouse it reads the serving
    marts as the read-only reader role (PARK_PG_READER_ROLE), never as the role that builds them."""
    settings = get_settings()
    env = dict(os.environ)
    if settings.warehouse_engine == "postgres" and not env.get("SUPERSET_WAREHOUSE_URI"):
        from sqlalchemy.engine import URL

        reader = URL.create(
            "postgresql",
            username=settings.pg_reader_role,
            password=settings.pg_reader_password,
            host=settings.pg_host,
            port=settings.pg_port,
            database=settings.pg_database,
        )
        env["SUPERSET_WAREHOUSE_URI"] = reader.render_as_string(hide_password=False)
    env.update(
        {
            "PARK_DATA_DIR": str(data_dir),
            "SUPERSET_HOME": str(superset_home(data_dir)),
            "SUPERSET_CONFIG_PATH": str(SUPERSET_DIR / "superset_config.py"),
            "SUPERSET_PORT": str(port),
            "FLASK_APP": "superset",
            "PYTHONPATH": str(SUPERSET_DIR),
            # the service account may not write beside the code it runs
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.pop("VIRTUAL_ENV", None)
    return env


def superset_service(data_dir: Path, port: int = 8088, workers: int = 1) -> Service:
    command = [
        str(SUPERSET_BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        "8",
        "--timeout",
        "120",
        "--limit-request-line",
        "0",
        "--limit-request-field_size",
        "0",
        # the workers' heartbeat files in Superset's own folder, not in a shared /tmp
        "--worker-tmp-dir",
        str(superset_home(data_dir) / "tmp"),
        "superset.app:create_app()",
    ]
    base = f"http://127.0.0.1:{port}"
    return Service(
        "superset",
        command,
        superset_environment(data_dir, port),
        f"{base}/health",
        f"{base}/login/",
        writable=(superset_home(data_dir), superset_home(data_dir) / "tmp"),
    )


def airflow_environment(port: int = 8080) -> dict[str, str]:
    """Airflow's components share one environment; their tasks report through the API server's execution API."""
    settings = get_settings()
    env = dict(os.environ)
    env.update(runtime_environment(settings))
    env.setdefault("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "admin:admin")
    env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] = f"http://127.0.0.1:{port}/execution/"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def airflow_service(port: int = 8080) -> Service:
    settings = get_settings()
    command = [str(AIRFLOW_BIN), "api-server", "--host", "127.0.0.1", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    return Service(
        "airflow-api-server",
        command,
        airflow_environment(port),
        f"{base}/api/v2/monitor/health",
        f"{base}/",
        writable=(settings.airflow_home,),
    )


def airflow_background_services(port: int = 8080) -> list[Service]:
    """Airflow's scheduler and DAG processor (Airflow 3 parses DAG files in a process of its own): with
    them the DAGs run on their schedules and Asset triggers, not only when started by hand. Their health
    is the API server's view of them (its health endpoint reports each component). The scheduler's tasks
    write what the pipeline writes (landing, warehouse, quality, reports, the inbox's ledger): the data
    folder is theirs."""
    settings = get_settings()
    health = f"http://127.0.0.1:{port}/api/v2/monitor/health"
    writable = (settings.airflow_home, settings.data_dir, settings.inbox_dir)
    components = [("airflow-scheduler", "scheduler"), ("airflow-dag-processor", "dag-processor")]
    if settings.profile == "production":  # deferred tasks get their own process, as in any deployment
        components.append(("airflow-triggerer", "triggerer"))
    return [
        Service(name, [str(AIRFLOW_BIN), component], airflow_environment(port), health, "", writable=writable)
        for name, component in components
    ]


def refuse_unsafe_production() -> None:
    """PARK_PROFILE=production starts nothing while a component is embedded or a secret is missing or a
    shipped default (:func:`parkplatform.config.production_problems`)."""
    settings = get_settings()
    if settings.profile != "production":
        return
    problems = production_problems(settings, os.environ)
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in problems)
        raise SystemExit(f"PARK_PROFILE=production: nothing started, because\n{listed}\nSee .env.example.")


def bootstrap_superset(data_dir: Path, port: int = 8088, users: list[str] | None = None) -> None:
    """Migrations, admin, roles, the warehouse connection and the dashboards (idempotent); ``users`` as
    ``USERNAME:PASSWORD:ROLE[:PARK_ID]``."""
    env = superset_environment(data_dir, port)
    command = [str(SUPERSET_BIN / "python"), str(SUPERSET_DIR / "bootstrap.py"), "setup", *(users or [])]
    subprocess.run(command, env=env, check=True)


# The embedded demo's users, one per role, so that a newcomer sees each view at once; none in production
DEMO_USERS = {"analyst": "Analyst", "leader": "Leadership", "park": "Park"}


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    park: str | None = None
    park_name: str | None = None

    @property
    def spec(self) -> str:
        return ":".join([self.username, self.password, self.role, *([self.park] if self.park else [])])


def busiest_park(settings) -> tuple[str, str] | None:
    """The park with the most enterprises in serving (its id and name), the demo Park user's park; None
    before anything was published."""
    from parkplatform.serving import ServingNotFound, open_serving

    try:
        with open_serving(settings) as reader:
            rows = reader.rows(
                "select parks.park_id, parks.zone_name, count(*) as enterprises from main.dim_enterprise as firms "
                "inner join main.dim_park as parks on firms.park_id = parks.park_id "
                "group by parks.park_id, parks.zone_name order by enterprises desc, parks.park_id limit 1"
            )
    except ServingNotFound:
        return None
    return (rows[0]["park_id"], rows[0]["zone_name"]) if rows else None


def demo_users(settings) -> list[DemoUser]:
    """In the demo profile, one Superset user per role (:data:`DEMO_USERS`), the Park user for
    :func:`busiest_park`; each password generated once per data folder and kept, readable by its owner only,
    in ``$PARK_DATA_DIR/superset/demo-users.json``. None in production: no default user exists there."""
    import json
    import secrets

    if settings.profile != "demo":
        return []
    path = superset_home(settings.data_dir) / "demo-users.json"
    passwords = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    park = busiest_park(settings)
    users = []
    for username, role in DEMO_USERS.items():
        if role == "Park" and park is None:
            continue
        passwords.setdefault(username, secrets.token_urlsafe(12))
        users.append(DemoUser(username, passwords[username], role, *(park if role == "Park" else (None, None))))
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(passwords, handle, indent=2)
    return users


def pid_file(data_dir: Path, name: str) -> Path:
    return run_dir(data_dir) / f"{name}.pid"


def start(service: Service, data_dir: Path) -> int:
    """Starts the service in a new session (its own process group), logging to $PARK_DATA_DIR/run/<name>.log;
    as the service account when started by root (:func:`service_account`)."""
    existing = running_pid(data_dir, service.name)
    if existing:
        print(f"{service.name} already running (process group {existing})")
        return existing
    log_path = run_dir(data_dir) / f"{service.name}.log"
    account = service_account()
    identity: dict = {}
    env = dict(service.env)
    for folder in service.writable:
        folder.mkdir(parents=True, exist_ok=True)
    if account is not None:
        hand_over(service.writable, account)
        check_runnable(service, account)
        identity = {"user": account.uid, "group": account.gid, "extra_groups": []}
        env.update({"USER": account.name, "LOGNAME": account.name})
        if service.writable:
            env["HOME"] = str(service.writable[0])
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            service.command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=REPO_ROOT,
            umask=0o027,
            **identity,
        )
    pid_file(data_dir, service.name).write_text(str(process.pid))
    return process.pid


def running_pid(data_dir: Path, name: str) -> int | None:
    path = pid_file(data_dir, name)
    if not path.exists():
        return None
    pid = int(path.read_text().strip())
    try:
        if os.getpgid(pid) != pid:  # not the leader of the group we started: the pid was reused
            return None
    except ProcessLookupError:
        return None
    return pid


def wait_healthy(service: Service, timeout: float = 240.0) -> None:
    deadline = time.monotonic() + timeout
    last_error = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(service.health_url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            last_error = str(exc)
        time.sleep(1.0)
    raise TimeoutError(f"{service.name} not healthy at {service.health_url} after {timeout:.0f} s: {last_error}")


def stop(data_dir: Path, *names: str, timeout: float = 30.0) -> dict[str, bool]:
    """Stops the process groups recorded in <name>.pid, all at once: SIGTERM to each, then SIGKILL to those
    still running after ``timeout`` seconds (one after another, `make down` waited for each service's own
    shutdown in turn). Returns, by name, whether it was running."""
    groups = {}
    for name in names:
        pid = running_pid(data_dir, name)
        pid_file(data_dir, name).unlink(missing_ok=True)
        if pid is not None:
            os.killpg(pid, signal.SIGTERM)
            groups[name] = pid
    deadline, running = time.monotonic() + timeout, set(groups.values())
    while running and time.monotonic() < deadline:
        for pid in list(running):
            try:  # reap the leader when it is our own child (the tests start it), else it lingers as a zombie
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            try:
                os.killpg(pid, 0)
            except ProcessLookupError:
                running.discard(pid)
        if running:
            time.sleep(0.3)
    for pid in running:
        os.killpg(pid, signal.SIGKILL)
        try:  # reap our own child's leader, which SIGKILL ends at once
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    return {name: name in groups for name in names}


def airflow_password(settings_home: Path, user: str = "admin") -> str | None:
    import json

    path = settings_home / "simple_auth_manager_passwords.json.generated"
    if path.exists():
        return json.loads(path.read_text()).get(user)
    return None


SERVICE_NAMES = ("superset", "airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer")


def up(superset_port: int, airflow_port: int) -> None:
    refuse_unsafe_production()
    settings = get_settings()
    data_dir = settings.data_dir
    if not settings.serving_warehouse.exists():
        print(
            f"note: no serving warehouse at {settings.serving_warehouse} yet: run `make demo` for the dashboards' data"
        )
    users = demo_users(settings)
    bootstrap_superset(data_dir, superset_port, [user.spec for user in users])
    subprocess.run([str(AIRFLOW_BIN), "db", "migrate"], env=airflow_environment(airflow_port), check=True)
    web = [superset_service(data_dir, superset_port), airflow_service(airflow_port)]
    for service in [*web, *airflow_background_services(airflow_port)]:
        start(service, data_dir)
    for service in web:
        wait_healthy(service)
    user = os.environ.get("SUPERSET_ADMIN_USER") or "admin"
    password = os.environ.get("SUPERSET_ADMIN_PASSWORD") or "admin (dev default; set SUPERSET_ADMIN_PASSWORD)"
    if settings.profile == "production":
        password = "from SUPERSET_ADMIN_PASSWORD"
    print()
    print(f"profile {settings.profile}: {_where(settings)}")
    print(f"Superset    {web[0].login_url}   user {user}, password {password}")
    print("\n".join(f"            {line}" for line in dashboards_listed()))
    print("            (roles Analyst, Leadership, Park, Admin: each user is listed the ones its role reads)")
    for user in users:
        park = f" of {user.park} {user.park_name}" if user.park else ""
        print(f"            demo user {user.username}, password {user.password}: the {user.role} role{park}")
    if settings.profile == "demo" and not any(user.park for user in users):
        print("            (a Park user is created once `make demo` has published: run `make up` again)")
    print(f"Airflow UI  {web[1].login_url}   user admin, password {airflow_password(settings.airflow_home) or '?'}")
    print("            the scheduler and the DAG processor run too: DAGs run on their schedules once unpaused")
    print(f"logs and pid files in {run_dir(data_dir)}; `make status` says what runs; `make down` stops them all")


def dashboard_titles() -> list[str]:
    """The titles of the Superset bundle's dashboards (their English twins are made from them on import)."""
    import yaml

    folder = SUPERSET_DIR / "assets" / "dashboards"
    return sorted(yaml.safe_load(path.read_text(encoding="utf-8"))["dashboard_title"] for path in folder.glob("*.yaml"))


def dashboards_listed(width: int = 90) -> list[str]:
    """The bundle's dashboard titles as ``make up`` prints them: lines of at most about ``width`` characters,
    a title never split over two."""
    lines = ["dashboards, each also in English:"]
    titles = dashboard_titles()
    for number, title in enumerate(titles, 1):
        title += "," if number < len(titles) else ""
        if len(lines[-1]) + len(title) >= width:
            lines.append(title)
        else:
            lines[-1] += f" {title}"
    return lines


def _where(settings) -> str:
    """Where the profile keeps its state, without passwords."""
    from sqlalchemy.engine import make_url

    airflow = runtime_environment(settings)["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    superset = (
        os.environ.get("SUPERSET_DATABASE_URI") or f"sqlite:///{superset_home(settings.data_dir) / 'superset.db'}"
    )
    warehouse = (
        make_url(f"postgresql://{settings.pg_host}:{settings.pg_port}/{settings.pg_database}")
        if settings.warehouse_engine == "postgres"
        else settings.serving_warehouse
    )
    return (
        f"Airflow metadata {make_url(airflow).render_as_string(hide_password=True)}, "
        f"Superset metadata {make_url(superset).render_as_string(hide_password=True)}, warehouse {warehouse}"
    )


def _expected_services() -> tuple[str, ...]:
    """The services `up` starts in this profile (the triggerer only in production)."""
    return ("superset", "airflow-api-server", *(service.name for service in airflow_background_services()))


def status() -> int:
    """The profile and where it keeps its state, then one line per service: running (process group) or not,
    its log; exit 0 when all of the profile's services run."""
    settings = get_settings()
    data_dir = settings.data_dir
    print(f"profile {settings.profile}: {_where(settings)}")
    running = 0
    expected = _expected_services()
    for name in expected:
        pid = running_pid(data_dir, name)
        running += pid is not None
        state = f"running (process group {pid})" if pid else "not running"
        print(f"{name:<22} {state:<32} log {run_dir(data_dir) / (name + '.log')}")
    return 0 if running == len(expected) else 1


def down() -> None:
    data_dir = get_settings().data_dir
    for name, was_running in stop(data_dir, *SERVICE_NAMES).items():
        print(f"{name}: {'stopped' if was_running else 'was not running'}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["up", "down", "status"])
    parser.add_argument("--superset-port", type=int, default=int(os.environ.get("SUPERSET_PORT", "8088")))
    parser.add_argument("--airflow-port", type=int, default=int(os.environ.get("AIRFLOW_API_PORT", "8080")))
    args = parser.parse_args(argv)
    if args.action == "up":
        up(args.superset_port, args.airflow_port)
    elif args.action == "status":
        raise SystemExit(status())
    else:
        down()


if __name__ == "__main__":
    main()
