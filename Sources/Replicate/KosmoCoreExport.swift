// The client's callers see the shared core's types (`JSONValue`, `JSONError`, `StopCheck`,
// `Stopped`) as the client's own: `import Replicate` keeps bringing them.
@_exported import KosmoCore
