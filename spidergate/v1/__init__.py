"""Generated protobuf code: do not edit. Regenerate with `python tools/gen_protos.py`."""
