"""Fixtures shared by the automation tests: the local webhook server of the report tests."""

from __future__ import annotations

import pytest

from tests.reports.conftest import WebhookServer


@pytest.fixture
def webhook():
    server = WebhookServer()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()
