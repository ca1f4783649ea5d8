import Replicate

/// The shapes of what the API functions return, for the LuaLS stubs: the response schemas of
/// Replicate's OpenAPI description, as Lua sees them
/// (docs/architecture.md, "Values": a `null` member is left out, so fields that may be null are optional).
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

    /// Every class, in the order the stubs declare them.
    public static let shapes: [Shape] = [
        Shape(name: "replicate.Prediction", description: "A prediction: one run of a model.", fields: [
            Field("id", "string", "The prediction's id."),
            Field("model", "string", optional: true, "owner/name of the model that created it."),
            Field("version", "string", optional: true, "The model version's id."),
            Field("status", "\"starting\"|\"processing\"|\"succeeded\"|\"failed\"|\"canceled\"|\"aborted\"", "The last four are terminal."),
            Field("input", "table", optional: true, "The prediction's input."),
            Field("output", "any", optional: true, "The output: any JSON value, depending on the model (often a URL or a list of them)."),
            Field("logs", "string", optional: true, "The model's log output."),
            Field("error", "string", optional: true, "An error message when the status is failed."),
            Field("source", "string", optional: true, "How it was created: api or web."),
            Field("deployment", "string", optional: true, "The deployment that created it."),
            Field("data_removed", "boolean", optional: true, "Whether the output was deleted."),
            Field("created_at", "string", optional: true, "ISO 8601 time it was created."),
            Field("started_at", "string", optional: true, "ISO 8601 time the model started."),
            Field("completed_at", "string", optional: true, "ISO 8601 time it finished."),
            Field("deadline", "string", optional: true, "When it is canceled if not finished."),
            Field("metrics", "table", optional: true, "Metrics such as predict_time (seconds)."),
            Field("urls", "replicate.PredictionURLs", optional: true, "URLs for get, cancel, stream and web."),
        ]),
        Shape(name: "replicate.PredictionURLs", description: "URLs for working with a prediction or training.", fields: [
            Field("get", "string", optional: true, "The API URL that returns it."),
            Field("cancel", "string", optional: true, "The API URL that cancels it."),
            Field("stream", "string", optional: true, "The server-sent events URL, for models that stream."),
            Field("web", "string", optional: true, "Its page on replicate.com."),
        ]),
        Shape(name: "replicate.Training", description: "A training: fine-tuning that creates a new model version.", fields: [
            Field("id", "string", "The training's id."),
            Field("model", "string", optional: true, "owner/name of the model trained."),
            Field("version", "string", optional: true, "The id of the version trained."),
            Field("status", "\"starting\"|\"processing\"|\"succeeded\"|\"failed\"|\"canceled\"|\"aborted\"", "The last four are terminal."),
            Field("input", "table", optional: true, "The training input."),
            Field("output", "table", optional: true, "The output, with the new version and its weights."),
            Field("logs", "string", optional: true, "The training's log output."),
            Field("error", "string", optional: true, "An error message when the status is failed."),
            Field("source", "string", optional: true, "How it was created."),
            Field("created_at", "string", optional: true, "ISO 8601 time it was created."),
            Field("started_at", "string", optional: true, "ISO 8601 time it started."),
            Field("completed_at", "string", optional: true, "ISO 8601 time it finished."),
            Field("metrics", "table", optional: true, "Metrics about the training."),
            Field("urls", "replicate.PredictionURLs", optional: true, "URLs for get, cancel and web."),
        ]),
        Shape(name: "replicate.Model", description: "A model.", fields: [
            Field("url", "string", optional: true, "Its page on replicate.com."),
            Field("owner", "string", "The user or organization that owns it."),
            Field("name", "string", "Its name."),
            Field("description", "string", optional: true, "A description."),
            Field("visibility", "\"public\"|\"private\"", optional: true, "Whether it is public."),
            Field("github_url", "string", optional: true, "Its source code."),
            Field("paper_url", "string", optional: true, "Its paper."),
            Field("license_url", "string", optional: true, "Its license."),
            Field("cover_image_url", "string", optional: true, "Its cover image."),
            Field("run_count", "integer", optional: true, "How many times it has run."),
            Field("is_official", "boolean", optional: true, "Whether Replicate maintains it (official models run without a version)."),
            Field("default_example", "replicate.Prediction", optional: true, "Its default example prediction."),
            Field("latest_version", "replicate.ModelVersion", optional: true, "Its latest version."),
        ]),
        Shape(name: "replicate.ModelVersion", description: "A version of a model.", fields: [
            Field("id", "string", "The version's id (64 hex digits)."),
            Field("created_at", "string", optional: true, "ISO 8601 time it was created."),
            Field("cog_version", "string", optional: true, "The Cog version that built it."),
            Field("openapi_schema", "table", optional: true, "The OpenAPI schema of its inputs and outputs (components.schemas.Input)."),
        ]),
        Shape(name: "replicate.Deployment", description: "A deployment: a model version on dedicated hardware.", fields: [
            Field("owner", "string", "The deployment's owner."),
            Field("name", "string", "The deployment's name."),
            Field("current_release", "replicate.DeploymentRelease", optional: true, "The release in effect."),
        ]),
        Shape(name: "replicate.DeploymentRelease", description: "A release of a deployment.", fields: [
            Field("number", "integer", optional: true, "The release number."),
            Field("model", "string", optional: true, "owner/name of the model."),
            Field("version", "string", optional: true, "The version's id."),
            Field("created_at", "string", optional: true, "ISO 8601 time it was created."),
            Field("created_by", "replicate.Account", optional: true, "Who created it."),
            Field("configuration", "table", optional: true, "hardware, min_instances, max_instances."),
        ]),
        Shape(name: "replicate.File", description: "An uploaded file.", fields: [
            Field("id", "string", "The file's id."),
            Field("content_type", "string", optional: true, "Its MIME type."),
            Field("size", "integer", optional: true, "Its length in bytes."),
            Field("checksums", "table", optional: true, "Checksums by algorithm (sha256, md5)."),
            Field("metadata", "table", optional: true, "The metadata given when it was created."),
            Field("created_at", "string", optional: true, "ISO 8601 time it was created."),
            Field("expires_at", "string", optional: true, "ISO 8601 time it expires."),
            Field("urls", "{get: string}", optional: true, "urls.get: pass it as a model input."),
        ]),
        Shape(name: "replicate.Account", description: "An account.", fields: [
            Field("type", "\"user\"|\"organization\"", optional: true, "The account type."),
            Field("username", "string", "The username."),
            Field("name", "string", optional: true, "The display name."),
            Field("github_url", "string", optional: true, "Its GitHub URL."),
            Field("avatar_url", "string", optional: true, "Its avatar URL."),
        ]),
        Shape(name: "replicate.Collection", description: "A collection of models.", fields: [
            Field("name", "string", "The collection's name."),
            Field("slug", "string", "Its slug (lowercase with dashes)."),
            Field("description", "string", optional: true, "A description."),
            Field("full_description", "string", optional: true, "The full description in markdown."),
            Field("models", "replicate.Model[]", optional: true, "Its models (get_collection only)."),
        ]),
        Shape(name: "replicate.Hardware", description: "A hardware option for deployments and trainings.", fields: [
            Field("name", "string", "The hardware's name."),
            Field("sku", "string", "Its SKU, as create_deployment takes it."),
        ]),
        Shape(name: "replicate.WebhookSecret", description: "The account's default webhook signing secret.", fields: [
            Field("key", "string", "The secret (whsec_…), for replicate.webhooks.verify."),
        ]),
        Shape(name: "replicate.SearchResult", description: "What search finds.", fields: [
            Field("query", "string", "The search term evaluated."),
            Field("models", "replicate.SearchModel[]", "Matching models with search metadata."),
            Field("collections", "replicate.Collection[]", "Matching collections."),
            Field("pages", "{name: string, href: string}[]", "Matching documentation pages."),
        ]),
        Shape(name: "replicate.SearchModel", description: "A model found by search.", fields: [
            Field("model", "replicate.Model", "The model."),
            Field("metadata", "{generated_description: string?, score: number?, tags: string[]}", optional: true, "Search metadata."),
        ]),
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

    /// Paginated results: a page class per item type.
    static let pageItems: [String: String] = [
        "list_collections": "replicate.Collection", "list_deployments": "replicate.Deployment",
        "list_files": "replicate.File", "list_model_examples": "replicate.Prediction",
        "list_model_versions": "replicate.ModelVersion", "list_models": "replicate.Model",
        "list_predictions": "replicate.Prediction", "list_trainings": "replicate.Training",
        "search_models": "replicate.Model",
    ]

    /// What each API function returns, as a LuaLS type.
    public static func resultType(for operation: OperationSpec) -> String? {
        if let item = pageItems[operation.name] { return pageClass(item) }
        if operation.method == "DELETE" { return "true" }
        switch operation.name {
        case "cancel_prediction", "create_prediction", "create_model_prediction", "create_deployment_prediction", "get_prediction":
            return "replicate.Prediction"
        case "cancel_training", "create_training", "get_training": return "replicate.Training"
        case "create_deployment", "get_deployment", "update_deployment": return "replicate.Deployment"
        case "create_file", "get_file": return "replicate.File"
        case "create_model", "get_model", "update_model": return "replicate.Model"
        case "get_model_version": return "replicate.ModelVersion"
        case "get_account": return "replicate.Account"
        case "get_collection": return "replicate.Collection"
        case "get_default_webhook_secret": return "replicate.WebhookSecret"
        case "list_hardware": return "replicate.Hardware[]"
        case "search": return "replicate.SearchResult"
        case "get_model_readme": return "string"
        case "download_file": return "string"
        default: return nil
        }
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
