"""API plumbing of the kernel, shared by the API shell and the domain apps' own endpoints:
text fields, the bounded JSON parser, the permission door, idempotency keys, the error shape."""
