"""The console's vendored files are the releases they claim to be (pinned by version in
their names, checked by SHA-256), and nothing else is in the static folder unchecked."""

from __future__ import annotations

import hashlib

from bridge.console.app import STATIC_DIR

# htmx 2.0.4, dist/htmx.min.js of the npm package htmx.org@2.0.4.
VENDORED = {
    "htmx-2.0.4.min.js": "e209dda5c8235479f3166defc7750e1dbcd5a5c1808b7792fc2e6733768fb447",
}
# Our own files (not vendored): no pin.
OURS = {"console.css", "favicon.svg", "console-ops.css", "console-ops.js"}


def test_vendored_files_match_their_pins() -> None:
    for name, digest in VENDORED.items():
        assert hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest() == digest, name


def test_every_static_file_is_pinned_or_ours() -> None:
    present = {p.name for p in STATIC_DIR.iterdir()}
    assert present == set(VENDORED) | OURS
