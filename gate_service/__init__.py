"""SpiderGate's core: routing, the vault, limits and metering behind a gRPC API."""

__version__ = "0.1.0"
