"""The wire layer: generated protobuf/gRPC code (``v1``) and the core <-> proto ``codec``."""
