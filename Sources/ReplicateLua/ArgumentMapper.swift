import CLua
import LuaHost
import Replicate

/// Reads the Lua arguments of a catalog function into the API's own argument names.
///
/// - One table: its keys are the names (`{model_owner = "a", model_name = "b"}`); a sequence
///   (`{"a/b"}`) counts as positional arguments.
/// - Positional arguments fill the parameters in schema order, naming ones first (path, a body's
///   `version`), then required, then optional fields; headers only by name. A `"owner/name"` string
///   in an owner slot fills owner, name (and version). A last table that lands on a slot that is
///   not a table holds named arguments (`get_model("a/b", {…})`).
///
/// Then the arguments are checked against the catalog (unknown names with the nearest valid one,
/// missing required ones, types) before anything is sent.
struct ArgumentMapper {
    let operation: OperationSpec
    let function: String

    /// The parameters positional arguments fill, in order: what names the thing (path
    /// parameters, a body's `version`), then required fields, then optional ones.
    var positionalOrder: [ParameterSpec] {
        let fields = operation.parameters.filter { $0.location == .query } + (operation.body?.fields ?? [])
        let naming = operation.parameters.filter { $0.location == .path } + fields.filter { $0.name == "version" && $0.required }
        let rest = fields.filter { !naming.contains($0) }
        return naming + rest.filter(\.required) + rest.filter { !$0.required }
    }

    func map(_ call: LuaCall, from first: Int32 = 1) throws -> [String: JSONValue] {
        let count = call.argumentCount - first + 1
        guard count > 0 else { return [:] }
        if count == 1, call.type(first) == LUA_TTABLE {
            let whole = try LuaJSON.argument(call, first, function: function, what: "the argument table")
            switch whole {
            case .object(let named): return named
            case .array(let items): return try positional(items)
            default: return [:]
            }
        }
        var values: [JSONValue] = []
        for index in first..<(first + count) {
            values.append(try LuaJSON.argument(call, index, function: function, what: "argument #\(index - first + 1)"))
        }
        return try positional(values)
    }

    private func fail(_ message: String) -> LuaRaise {
        LuaErrors.validation(function: function, message: "replicate.\(function): " + message)
    }

    func positional(_ values: [JSONValue]) throws -> [String: JSONValue] {
        var named: [String: JSONValue] = [:]
        let slots = positionalOrder
        var slot = 0
        for (offset, value) in values.enumerated() {
            while slot < slots.count, named[slots[slot].name] != nil { slot += 1 }
            let isLast = offset == values.count - 1
            if slot >= slots.count || (isLast && value.objectValue != nil && !["object", "array"].contains(slots[slot].type)) {
                // A trailing table of named arguments.
                guard isLast, let extra = value.objectValue else {
                    let names = slots.map(\.name).joined(separator: ", ")
                    throw fail("too many arguments (\(values.count)); it takes \(slots.isEmpty ? "none" : "at most \(slots.count): \(names)"), or one table of named arguments")
                }
                for (key, item) in extra {
                    guard named[key] == nil else { throw fail("'\(key)' is given twice") }
                    named[key] = item
                }
                break
            }
            let spec = slots[slot]
            if spec.name.hasSuffix("_owner"), let reference = value.stringValue, reference.contains("/") || values.count == 1 {
                try fillReference(reference, owner: spec.name, into: &named)
            } else {
                named[spec.name] = value
            }
        }
        return named
    }

    /// `owner/name[:version]` into `model_owner`/`model_name`/`version_id` (or the deployment pair).
    private func fillReference(_ reference: String, owner: String, into named: inout [String: JSONValue]) throws {
        let prefix = String(owner.dropLast("_owner".count))
        var modelPart = Substring(reference)
        var version: String?
        if let colon = reference.firstIndex(of: ":") {
            modelPart = reference[..<colon]
            version = String(reference[reference.index(after: colon)...])
        }
        let parts = modelPart.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw fail("'\(reference)' is not \(prefix == "model" ? "owner/name or owner/name:version" : "owner/name")")
        }
        named[owner] = .string(String(parts[0]))
        named[prefix + "_name"] = .string(String(parts[1]))
        if let version {
            guard operation.parameters.contains(where: { $0.name == "version_id" }) else {
                throw fail("'\(reference)' names a version, but \(function) takes only owner/name")
            }
            guard !version.isEmpty else { throw fail("'\(reference)' has an empty version after ':'") }
            named["version_id"] = .string(version)
        }
    }

    /// The catalog's checks, as a `validation` error table.
    func validate(_ arguments: [String: JSONValue]) throws {
        try checked { try ReplicateClient.validate(operation, arguments: arguments) }
    }

    /// `validate`, for a call about to be sent: returns the request the checks built, so the
    /// call sends it without building it again.
    func prepare(_ arguments: [String: JSONValue], client: ReplicateClient) throws -> PreparedRequest {
        try checked { try client.prepare(operation, arguments: arguments) }
    }

    /// Runs one of the client's checks; its `ReplicateError` becomes this function's error table.
    private func checked<T>(_ check: () throws -> T) throws -> T {
        do {
            return try check()
        } catch let error as ReplicateError {
            throw fail(error.message)
        }
    }
}
