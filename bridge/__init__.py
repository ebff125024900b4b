"""The HTTP bridge: a thin Starlette app translating the OpenAI REST/SSE surface into gRPC
calls on the core and back. It holds no state of its own.
"""
