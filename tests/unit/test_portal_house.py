"""The portal's house rules, read from the imports of portal/ and jobs/ and from the route handlers
written in portal/ (see docs/adding-a-domain.md).

An import counts wherever it is written, at the top of a module or inside a function; only the
ones under `if TYPE_CHECKING:` are left out of the circle check, as they never run.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("portal", "jobs")
DOMAINS = {path.parent.name for path in (ROOT / "portal").glob("*/__init__.py")} - {"core", "db"}
# The wiring: the only portal modules that may import the job functions.
IMPORT_JOBS = {"portal.app", "portal.commands"}

# Which other domain's modules a domain may import; every other pair is refused, and no two
# domains import each other. The services and the small public helpers named here are the door.
ALLOWED = {
    "accounts": {"portal.files.quota", "portal.files.services", "portal.crm.outbox"},
    "company": set(),
    "crm": set(),
    "files": set(),
    "leads": {"portal.crm.outbox"},
    "orders": {
        "portal.accounts.services",
        "portal.company.services",
        "portal.crm.deals", "portal.crm.outbox",
        "portal.files.guards", "portal.files.services", "portal.files.storage",
        "portal.quotes.labels", "portal.quotes.services", "portal.quotes.views",
    },
    "quotes": {
        "portal.crm.outbox",
        "portal.files.catalogue", "portal.files.guards", "portal.files.services", "portal.files.slicing",
        "portal.files.storage", "portal.files.throttle",
    },
}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The portal or jobs module a dotted name lives in (`portal.x.y.Name` → `portal.x.y`)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _type_checking_nodes(tree: ast.AST) -> set[ast.AST]:
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                skipped |= set(ast.walk(child))
    return skipped


def _imports(module: str, *, typing_too: bool) -> set[str]:
    path = MODULES[module]
    tree = ast.parse(path.read_text())
    skipped = set() if typing_too else _type_checking_nodes(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if node in skipped:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {target for name in names if (target := _resolve(name)) not in (None, module)}
    return found


def _graph(*, typing_too: bool) -> dict[str, set[str]]:
    return {module: _imports(module, typing_too=typing_too) for module in MODULES}


def _domain(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "portal" and len(parts) > 2 and parts[1] in DOMAINS else None


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for node in graph:
        if node not in index:
            visit(node)
    return circles


def test_the_walk_sees_the_imports_it_checks():
    graph = _graph(typing_too=True)
    assert "portal.core.queue" in graph["portal.core.mail"]  # at the top
    assert "jobs.inline" in graph["portal.commands"]  # inside a function
    assert "portal.db.models" in graph["portal.db.orders"]  # under TYPE_CHECKING
    assert "portal.db.models" not in _graph(typing_too=False)["portal.db.orders"]


def test_no_import_circles():
    assert _circles(_graph(typing_too=False)) == []


def test_the_circle_check_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_core_and_db_import_no_domain_and_no_jobs():
    wrong = [
        f"{module} → {target}"
        for module, targets in _graph(typing_too=True).items()
        if module.startswith(("portal.core", "portal.db", "portal.config"))
        for target in targets
        if _domain(target) or target.startswith("jobs")
    ]
    assert wrong == []


def test_domains_import_each_other_only_through_the_allowed_modules():
    wrong = [
        f"{module} → {target}"
        for module, targets in _graph(typing_too=True).items()
        if (domain := _domain(module))
        for target in targets
        if _domain(target) not in (None, domain) and target not in ALLOWED.get(domain, set())
    ]
    assert wrong == []


def test_no_two_domains_import_each_other():
    pairs = {(domain, _domain(target)) for domain, targets in ALLOWED.items() for target in targets}
    assert not {(a, b) for a, b in pairs if (b, a) in pairs}


def test_only_the_wiring_imports_jobs():
    wrong = [
        f"{module} → {target}"
        for module, targets in _graph(typing_too=True).items()
        if module.startswith("portal") and module not in IMPORT_JOBS
        for target in targets
        if target.split(".")[0] == "jobs"
    ]
    assert wrong == []


def _commits_outside_the_unit_of_work() -> list[str]:
    """`.commit()` calls, except in portal/db/unit_of_work.py and on savepoints (`begin_nested()`)."""
    found = []
    for path in MODULES.values():
        relative = path.relative_to(ROOT).as_posix()
        if relative == "portal/db/unit_of_work.py":
            continue
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            savepoints = {
                target.id for node in ast.walk(function) if isinstance(node, ast.Assign)
                and "begin_nested" in ast.unparse(node.value) for target in node.targets
                if isinstance(target, ast.Name)
            }
            for node in ast.walk(function):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr == "commit"
                        and ast.unparse(node.func.value) not in savepoints):
                    found.append(f"{relative}:{node.lineno} {function.name}")
    return sorted(set(found))


def test_only_the_unit_of_work_commits():
    """Services flush; the request or job commits once (portal/db/unit_of_work.py); a commit that
    cannot wait goes through `commit_now` and says why."""
    assert _commits_outside_the_unit_of_work() == []


def test_controllers_and_jobs_never_reach_into_a_service_session():
    wrong = [
        f"{module}:{node.lineno}"
        for module, path in MODULES.items()
        if module.startswith("jobs") or module.endswith((".controllers", ".admin"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr == "session"
        and isinstance(node.value, ast.Attribute) and node.value.attr == "repository"
    ]
    assert wrong == []


# Staff pages live in `portal/<d>/admin.py`, their templates in `templates/<d>/admin_*.html` and
# `_admin_*.html`.


def _routes() -> list[tuple[str, str, str, list]]:
    """(module, route name, path, guards) of every route handler written in portal/, with the
    guards and path its controller adds."""
    from litestar import Controller
    from litestar.handlers import HTTPRouteHandler

    found = []
    for module in sorted(name for name in MODULES if name.startswith("portal.")):
        namespace = vars(importlib.import_module(module))
        owners = [(None, namespace)] + [
            (value, vars(value)) for value in namespace.values()
            if isinstance(value, type) and issubclass(value, Controller) and value.__module__ == module
        ]
        for controller, members in owners:
            # Controller declares `path` and `guards` as slots: a controller that sets neither has
            # a descriptor there, not a value.
            prefix = getattr(controller, "path", "")
            prefix = prefix.rstrip("/") if isinstance(prefix, str) else ""
            outer = getattr(controller, "guards", None)
            outer = list(outer) if isinstance(outer, list | tuple) else []
            for handler in members.values():
                if not isinstance(handler, HTTPRouteHandler) or handler.fn.__module__ != module:
                    continue
                guards = [*outer, *(handler.guards or [])]
                for path in handler.paths:
                    found.append((module, handler.name, f"{prefix}/{path.strip('/')}".rstrip("/") or "/", guards))
    return found


def _is_staff_route(path: str, guards: list) -> bool:
    from portal.core.guards import requires_staff

    return path == "/admin" or path.startswith("/admin/") or requires_staff in guards


def test_the_route_walk_sees_the_guards_and_paths_it_checks():
    from portal.core.guards import requires_staff

    routes = {name: (module, path, guards) for module, name, path, guards in _routes() if name}
    module, path, guards = routes["admin_order_status"]  # path and guard from its controller
    assert (module, path) == ("portal.orders.admin", "/admin/orders/{order_id:uuid}/status")
    assert requires_staff in guards
    assert routes["call_request_page"][1:] == ("/call-request", [])  # a controller with no path
    assert not _is_staff_route(*routes["login"][1:])


def test_staff_routes_live_in_admin_modules():
    """Every route under /admin or guarded by `requires_staff` is written in `portal/<d>/admin.py`,
    and an admin module holds staff routes only."""
    routes = _routes()
    outside = sorted(
        f"{module}: {name} {path}" for module, name, path, guards in routes
        if _is_staff_route(path, guards) and not module.endswith(".admin")
    )
    assert outside == []
    not_staff = sorted(
        f"{module}: {name} {path}" for module, name, path, guards in routes
        if module.endswith(".admin") and not path.startswith("/admin/")
    )
    assert not_staff == []


def _rendered_templates(path: Path) -> list[tuple[int, str]]:
    """The template names a module passes to `render()`: the page and its `fragment=`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] == "render":
            arguments = [*node.args[1:2], *(keyword.value for keyword in node.keywords if keyword.arg == "fragment")]
            found += [(node.lineno, argument.value) for argument in arguments
                      if isinstance(argument, ast.Constant) and isinstance(argument.value, str)]
    return found


def test_staff_templates_are_the_domain_s_admin_templates():
    """`templates/<d>/admin_<page>.html` and `templates/<d>/_admin_<fragment>.html`; no
    `templates/admin/` folder."""
    assert sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "templates" / "admin").rglob("*")) == []
    admin_modules = {module: path for module, path in MODULES.items() if module.endswith(".admin")}
    seen = {module: _rendered_templates(path) for module, path in admin_modules.items()}
    wrong = [
        f"{module}:{line} {name}"
        for module, names in seen.items()
        for line, name in names
        if not name.startswith((f"{_domain(module)}/admin_", f"{_domain(module)}/_admin_"))
    ]
    assert wrong == []
    assert all(names for names in seen.values())  # the walk finds the names it checks
