"""The pipeline's tests route to a mock provider over a real HTTP session."""

from tests.upstreams import mock, session

__all__ = ["mock", "session"]
