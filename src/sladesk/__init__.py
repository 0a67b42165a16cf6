"""sladesk: an SLA-driven service desk for technical-support organisations."""

__version__ = "0.1.0"
