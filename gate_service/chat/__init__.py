"""Chat completions: request validation, the attempts routing runs for them, the shape
of the answer, and the service both gRPC servicers call."""
