"""carcrm: a keyboard-first terminal CRM for car-dealership sales floors."""

__version__ = "0.1.0"
