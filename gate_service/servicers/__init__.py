"""gRPC servicers: the edge of the core. They convert proto ⇄ domain, authenticate, call
the domain services and map ``GateError`` to a rich gRPC status.
"""
