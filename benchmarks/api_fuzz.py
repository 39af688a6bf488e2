"""`sinergi bench api-fuzz`: schemathesis over every operation of the published API schema, as two users of
different scope, against a server started the way `sinergi up` starts it.

Configuration: a fresh embedded deployment (SQLite in a temporary data folder, `config.settings.dev`), prepared
by `sinergi up --no-serve` (migrate, NTT dataset, risk demo, logistics plan, admin), then `sinergi up --port P
--no-worker` on its own free port (uvicorn, as in production minus the background workers). Two users with API
tokens: A, an operator of Polres Kupang (53.01), and B, an operator of Polres Ende (53.08); each first files an
incident report in its own regency, so each scope holds records the other must not see.

For each user and each operation of the schema the server publishes (/api/v1/schema/), schemathesis draws
`--examples` cases (half positive, half negative: invalid types, missing fields, wrong formats), seeded with
`--seed`, within `--time-limit` seconds of fuzzing. Every response is checked for:
- 5xx (a server error on any input),
- schema violations (a documented status whose body does not match the schema: schemathesis'
  response_schema_conformance); undocumented statuses are counted and printed on their own line,
- scope leaks: the ids in each list endpoint that A sees and B does not (fetched in full before fuzzing) must
  never appear in a response to B, and B's GET of each such record's detail must not be 200.

The auth-token DELETE (it would revoke the fuzzing user's own token) is skipped. Every process started here is
stopped on exit, also on Ctrl-C (its own process group). The last line is the headline:
`api-fuzz: N operations, M cases, 5xx X, schema violations Y, scope leaks Z`.
Options: --examples N (10) --seed S (15) --time-limit S (900) --short (examples 2, time limit 90 s)
--keep (keep the data folder) --verbose --template DIR (start from a copy of a data folder prepared by
`sinergi up --no-serve`) --port P (the server's port; default a free one). Exit code 1 when 5xx, schema
violations or scope leaks > 0 (the short run is part of scripts/test.sh, so each stays at zero).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {("DELETE", "/api/v1/auth/token/")}

SETUP = r"""
import json
from sinergi.accounts.choices import Role
from sinergi.accounts.models import Unit
from sinergi.accounts.services import user_create
from sinergi.elections.models import PollingStation
from tests.factories import api_token
out = {}
for name, unit_code, regency in (("fuzz_a", "POLRES-53.01", "53.01"), ("fuzz_b", "POLRES-53.08", "53.08")):
    unit = Unit.objects.get(code=unit_code)
    user = user_create(actor=None, username=name, password=None, unit=unit, role=Role.OPERATOR)
    tps = PollingStation.objects.filter(regency_code=regency).order_by("code").values_list("code", flat=True)[:1]
    out[name] = {"token": api_token(user), "tps": list(tps)[0]}
print("FUZZ-USERS " + json.dumps(out))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Deployment:
    """A fresh embedded deployment and its server, in their own process group."""

    def __init__(self, keep: bool = False, port: int = 0):
        self.dir = Path(tempfile.mkdtemp(prefix="sinergi-fuzz-"))
        self.keep = keep
        self.port = port or free_port()
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        self.env.update(SINERGI_DATA_DIR=str(self.dir), DJANGO_SETTINGS_MODULE="config.settings.dev",
                        PYTHONPATH=str(ROOT) + os.pathsep + self.env.get("PYTHONPATH", ""))
        self.proc: subprocess.Popen | None = None

    def _run(self, *args: str, timeout: float = 900) -> str:
        r = subprocess.run([sys.executable, "-m", "sinergi.cli", *args], env=self.env, cwd=str(ROOT),
                           capture_output=True, text=True, timeout=timeout, start_new_session=True)
        if r.returncode:
            raise RuntimeError(f"sinergi {' '.join(args)} failed: {r.stderr[-3000:]}")
        return r.stdout

    def prepare(self, template: str = "") -> dict:
        if template:  # a data folder prepared earlier by `sinergi up --no-serve` (saves minutes when iterating)
            shutil.copytree(template, self.dir, dirs_exist_ok=True)
        else:
            self._run("up", "--no-serve")
        out = self._run("manage", "shell", "-c", SETUP)
        line = next(x for x in out.splitlines() if x.startswith("FUZZ-USERS "))
        return json.loads(line.split(" ", 1)[1])

    def start(self) -> None:
        # the server's log goes to a file: a pipe nobody reads would fill up and block the server
        self.log = open(self.dir / "server.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sinergi.cli", "up", "--no-worker", "--port", str(self.port)],
            env=self.env, cwd=str(ROOT), stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + (self.dir / "server.log").read_text()[-3000:])
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("server did not start within 180 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if getattr(self, "log", None) is not None:
            self.log.close()
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)


def _ids(body) -> set:
    """Record ids in a JSON answer: `id` of the object, of each item of `results` or of a plain list."""
    items = []
    if isinstance(body, dict):
        items = body.get("results") if isinstance(body.get("results"), list) else [body]
    elif isinstance(body, list):
        items = body
    return {i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), int | str)}


def _resource(path: str) -> str:
    """/api/v1/incidents/{id}/ -> incidents (the list a record id belongs to)."""
    parts = [p for p in path.split("/") if p]
    return parts[2] if len(parts) > 2 else ""


def baseline(session, base: str, schema: dict, token: str) -> tuple[dict[str, set], set[str]]:
    """Every id each plain list endpoint (GET, no path parameter) returns to the token's user, all pages."""
    seen: dict[str, set] = {}
    truncated: set[str] = set()
    for path, item in schema["paths"].items():
        if "get" not in item or "{" in path:
            continue
        ids: set = set()
        url, pages = f"{base}{path}?page_size=1000", 0
        while url and pages < 20:
            r = session.get(url, headers={"Authorization": f"Token {token}"}, timeout=60)
            pages += 1
            if r.status_code != 200 or "json" not in r.headers.get("content-type", ""):
                break
            body = r.json()
            ids |= _ids(body)
            url = body.get("next") if isinstance(body, dict) else None
        if url:
            truncated.add(path)
        seen[path] = ids
    return seen, truncated


def run(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="sinergi bench api-fuzz")
    ap.add_argument("--examples", type=int, default=10)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--time-limit", type=float, default=900)
    ap.add_argument("--short", action="store_true")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--template", default="", help="copy this prepared data folder instead of preparing one")
    ap.add_argument("--port", type=int, default=0, help="the server's port (default: a free one)")
    a = ap.parse_args(argv)
    if a.short:
        a.examples, a.time_limit = 2, 90

    import requests
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, seed, settings
    from schemathesis import GenerationMode
    from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

    dep = Deployment(keep=a.keep, port=a.port)
    previous = signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    t0 = time.monotonic()
    try:
        users = dep.prepare(a.template)
        t_prep = time.monotonic() - t0
        dep.start()
        base = f"http://127.0.0.1:{dep.port}"
        session = requests.Session()
        tok = {"A": users["fuzz_a"]["token"], "B": users["fuzz_b"]["token"]}
        for who, key in (("A", "fuzz_a"), ("B", "fuzz_b")):
            r = session.post(f"{base}/api/v1/incident-reports/", json={
                "key": f"fuzz-{who}", "text": "Massa bentrok lempar batu di depan TPS", "tps_code": users[key]["tps"]},
                headers={"Authorization": f"Token {tok[who]}"}, timeout=60)
            if r.status_code not in (200, 201):
                raise RuntimeError(f"seed report for {who}: {r.status_code} {r.text[:300]}")
        raw = session.get(f"{base}/api/v1/schema/?format=json", headers={"Authorization": f"Token {tok['A']}"},
                          timeout=60)
        raw.raise_for_status()
        schema_doc = raw.json() if raw.headers.get("content-type", "").startswith("application/json") else None
        if schema_doc is None:
            import yaml

            schema_doc = yaml.safe_load(raw.text)
        seen_a, trunc_a = baseline(session, base, schema_doc, tok["A"])
        seen_b, trunc_b = baseline(session, base, schema_doc, tok["B"])
        only_a = {_resource(p): seen_a[p] - seen_b.get(p, set()) for p in seen_a
                  if p not in trunc_a and p not in trunc_b and seen_a[p] - seen_b.get(p, set())}
        print(f"prepared in {t_prep:.0f} s; server on port {dep.port}; records only A sees: "
              + ", ".join(f"{r} {len(v)}" for r, v in sorted(only_a.items())), flush=True)

        schema = schemathesis.openapi.from_dict(schema_doc)
        operations = [r.ok() for r in schema.get_all_operations()]
        operations = [op for op in operations if (op.method.upper(), op.path) not in SKIP]
        cases = Counter()
        server_errors: list[str] = []
        violations: list[str] = []
        undocumented = Counter()
        leaks: list[str] = []
        skipped = Counter()
        timeouts: list[str] = []
        deadline = time.monotonic() + a.time_limit  # the fuzzing itself; preparation and baselines not counted

        def check_one(case, who: str, label: str, resource: str) -> None:
            if time.monotonic() > deadline:
                return
            try:
                resp = case.call(base_url=base, headers={"Authorization": f"Token {tok[who]}"}, timeout=30)
            except requests.RequestException as exc:
                timeouts.append(f"{who} {label}: no answer within 30 s ({type(exc).__name__})")
                return
            cases[who] += 1
            status = resp.status_code
            if status >= 500:
                server_errors.append(f"{who} {label} -> {status}: {case.as_curl_command()[:400]}")
                if a.verbose:
                    print("5xx:", server_errors[-1], flush=True)
                return
            for check, bucket in ((response_schema_conformance, "schema"), (status_code_conformance, "status")):
                try:
                    case.validate_response(resp, checks=[check])
                except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - schemathesis raises a failure group
                    if bucket == "schema":
                        lines = [x.strip() for x in str(exc).splitlines() if x.strip()]
                        why = next((x for x in lines if x.startswith("- ")), lines[0] if lines else "")
                        detail = next((x for x in lines if " is not " in x or "required" in x), "")
                        violations.append(f"{who} {label} {status}: {why[:80]} {detail[:160]}")
                    else:
                        undocumented[f"{label} {status}"] += 1
            if who == "B" and status == 200:
                try:
                    body = resp.json()
                except ValueError:
                    return
                hit = _ids(body) & only_a.get(resource, set())
                if hit:
                    leaks.append(f"B {label}: ids {sorted(hit)[:5]} of A's scope")

        def fuzz(op, mode, who: str) -> None:
            label, resource = f"{op.method.upper()} {op.path}", _resource(op.path)
            if time.monotonic() > deadline:
                skipped[who] += 1
                return

            @seed(a.seed)
            @settings(max_examples=max(1, a.examples // 2), deadline=None, database=None,
                      phases=[Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=op.as_strategy(generation_mode=mode))
            def one(case):
                check_one(case, who, label, resource)

            try:
                one()
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - reported, the run goes on
                if a.verbose:
                    print(f"  generation stopped for {label} ({mode.value}): {type(exc).__name__}: {str(exc)[:200]}")

        for who in ("A", "B"):
            for op in operations:
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                    fuzz(op, mode, who)
        # direct probe: B asks for each of A's records by id
        for path in schema_doc["paths"]:
            m = re.fullmatch(r"(/api/v1/[^/{]+/)\{[a-z_]+\}/", path)
            if not m or "get" not in schema_doc["paths"][path]:
                continue
            for rid in sorted(only_a.get(_resource(path), set()), key=str)[:20]:
                try:
                    r = session.get(f"{base}{m.group(1)}{rid}/", headers={"Authorization": f"Token {tok['B']}"},
                                    timeout=30)
                except requests.RequestException as exc:
                    timeouts.append(f"B GET {m.group(1)}{rid}/: no answer ({type(exc).__name__})")
                    continue
                cases["B"] += 1
                if r.status_code == 200:
                    leaks.append(f"B GET {m.group(1)}{rid}/ -> 200 (A's scope)")
    except KeyboardInterrupt:
        print("api-fuzz: interrupted")
        return 130
    finally:
        dep.stop()
        signal.signal(signal.SIGTERM, previous)
    for line in server_errors[:40]:
        print("5xx:", line)
    for line in timeouts[:20]:
        print("timeout:", line)
    for line in violations[:40]:
        print("schema:", line)
    for line in leaks[:40]:
        print("LEAK:", line)
    if undocumented:
        print(f"undocumented statuses: {sum(undocumented.values())} responses on {len(undocumented)} "
              f"operation/status pairs, e.g. " + ", ".join(k for k, _ in undocumented.most_common(8)))
    if sum(skipped.values()):
        print(f"time limit reached: {sum(skipped.values())} operation/mode runs skipped ({dict(skipped)})")
    print(f"configuration: embedded SQLite (config.settings.dev), uvicorn via sinergi up --no-worker; users A "
          f"(operator, Polres Kupang) and B (operator, Polres Ende); seed {a.seed}, {a.examples} examples per "
          f"operation and user, time limit {a.time_limit:.0f} s; took {time.monotonic() - t0:.0f} s")
    print(f"requests without an answer within 30 s: {len(timeouts)}")
    print(f"api-fuzz: {len(operations)} operations, {sum(cases.values())} cases, 5xx {len(server_errors)}, "
          f"schema violations {len(violations)}, scope leaks {len(leaks)}")
    return 1 if server_errors or violations or leaks else 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
