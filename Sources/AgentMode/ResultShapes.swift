import Replicate

/// The shapes of what the API functions return, for the LuaLS stubs: the response schemas of
/// Replicate's OpenAPI description, as Lua sees them, generated with the client's object types
/// from one description (scripts/generate_api.py; docs/architecture.md, "Values": a `null` member
/// is left out, so fields that may be null are optional).
public enum ResultShapes {
    /// A field of a result table.
    public struct Field: Sendable {
        public let name: String
        /// A LuaLS type: `string`, `integer`, `number`, `boolean`, `table`, `any`, a class name…
        public let type: String
        public let optional: Bool
        public let description: String

        init(_ name: String, _ type: String, optional: Bool = false, _ description: String) {
            self.name = name
            self.type = type
            self.optional = optional
            self.description = description
        }
    }

    /// A result class: `replicate.Prediction` and so on.
    public struct Shape: Sendable {
        public let name: String
        public let description: String
        public let fields: [Field]
    }

    /// Every class, in the order the stubs declare them: the API's objects (generated from the
    /// spec, GeneratedResultShapes.swift), then what the helpers return.
    public static let shapes: [Shape] = apiShapes + helperShapes

    /// What the helpers return and raise: shapes of kosmo-lua's own, not the API's.
    static let helperShapes: [Shape] = [
        Shape(name: "replicate.File.Stored", description: "What replicate.download returns.", fields: [
            Field("path", "string", "Where the file was written."),
            Field("bytes", "integer", "How many bytes were written."),
            Field("content_type", "string", optional: true, "The response's MIME type."),
        ]),
        Shape(name: "replicate.Event", description: "A server-sent event from replicate.stream; tostring(event) is its data.", fields: [
            Field("event", "\"output\"|\"logs\"|\"error\"|\"done\"", "The event type."),
            Field("data", "string", "The event's data (a token, for language models)."),
            Field("id", "string", optional: true, "The event id."),
        ]),
        Shape(name: "replicate.Error", description: "What a failing replicate.* call raises (pcall returns it); tostring gives one line.", fields: [
            Field("kind", "\"permission\"|\"validation\"|\"http\"|\"model\"|\"timeout\"|\"limit\"|\"network\"", "What went wrong."),
            Field("message", "string", "What happened and how to fix it."),
            Field("function", "string", optional: true, "The function that failed."),
            Field("status", "integer", optional: true, "The HTTP status."),
            Field("title", "string", optional: true, "The API's problem title (RFC 7807)."),
            Field("detail", "string", optional: true, "The API's problem detail (RFC 7807)."),
            Field("prediction", "replicate.Prediction", optional: true, "The failed prediction, for a model error."),
        ]),
    ]

    /// What each API function returns, as a LuaLS type: a page class for a paginated function,
    /// else what the spec's response says (GeneratedResultShapes.swift).
    public static func resultType(for operation: OperationSpec) -> String? {
        if let item = pageItems[operation.name] { return pageClass(item) }
        return resultTypes[operation.name]
    }

    /// `replicate.Page.Model` for `replicate.Model`.
    static func pageClass(_ item: String) -> String {
        "replicate.Page." + item.dropFirst("replicate.".count)
    }

    /// The page classes the stubs declare, in a stable order.
    static var pageShapes: [Shape] {
        Set(pageItems.values).sorted().map { item in
            Shape(name: pageClass(item), description: "A page of \(item.dropFirst("replicate.".count)) results; replicate.paginate walks every page.", fields: [
                Field("results", item + "[]", "This page's items."),
                Field("next", "string", optional: true, "The next page's URL: pass it as cursor; nil on the last page."),
                Field("previous", "string", optional: true, "The previous page's URL."),
            ])
        }
    }
}
