// The client's callers see the shared core's types (`StopCheck`, `Stopped`) as the client's own.
@_exported import KosmoCore
