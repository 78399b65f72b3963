"""A reference SylkServer-style host for native Sylk application modules."""

__version__ = "0.1.0"
