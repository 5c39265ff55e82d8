"""carcrm: a keyboard-first terminal CRM for car-dealership sales floors."""

# The one place the version is written: pyproject reads it (hatch's dynamic version),
# `carcrm --version` prints it, and the CHANGELOG names it.
__version__ = "0.1.0"
