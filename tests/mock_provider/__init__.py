"""Tests of the mock provider server (``mock_provider``)."""
