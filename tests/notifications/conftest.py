from tests.channels.conftest import smtp_server

__all__ = ["smtp_server"]
