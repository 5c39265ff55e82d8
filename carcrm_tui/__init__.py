"""carcrm: a keyboard-first terminal CRM for car-dealership sales floors."""

# The one place the version is written: pyproject reads it (hatch's dynamic version),
# `carcrm --version` prints it, and the CHANGELOG names it.
__version__ = "0.1.0"


def _load_dateutil_parser_on_first_use() -> None:
    """pendulum imports dateutil's parser at its own import (~5 ms of every start) for the
    non-strict `pendulum.parse`, which a start never calls: the module is made lazy (the standard
    library's LazyLoader), and runs the first time anything in it is used. Only before pendulum
    is imported; a process that already has the parser keeps it."""
    import sys

    name = "dateutil.parser"
    if name in sys.modules or "pendulum" in sys.modules:
        return
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except ImportError:
        return
    if spec is None or spec.loader is None:
        return
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    setattr(sys.modules["dateutil"], "parser", module)


_load_dateutil_parser_on_first_use()
