"""Chat completions: request validation and the service both gRPC servicers call."""
