import Replicate

/// What `replicate.help`, `kosmo-lua docs` and the MCP discovery tools say about each function.
public enum Documentation {
    /// A helper: a function of the `replicate` table that is not one API operation.
    public struct Helper: Sendable {
        public let name: String
        public let signature: String
        /// The access class of the request it makes; nil when it makes none of its own
        /// (`accessName`: `none`).
        public let access: Access?
        public let summary: String
        /// What it returns, in words for its help.
        public let returns: String
        public let example: String
    }

    public static let helpers: [Helper] = [
        Helper(name: "run", signature: "replicate.run(ref, input, opts) -> output", access: .write,
               summary: "Runs a model and returns its output. ref is owner/name (an official model through its model endpoint, any other through its latest version), owner/name:version or a version id (opts.deployment = true: a deployment). The input is checked against the model's schema before anything is sent or asked (opts.validate = false skips it). Waits in sync mode, then polls; a failed run raises a model error with the prediction attached. opts.timeout bounds the whole run (also sent as Cancel-After): at it the prediction is canceled and a timeout error carries it. An output the model displays concatenated (a language model's tokens) comes back as one string (opts.raw = true: the list). opts.save = DIR (or --save DIR) downloads its output files into DIR as soon as it finishes, named by their SHA-256, and lists it in DIR/manifest.jsonl. opts: wait, cancel_after, webhook, webhook_events_filter, timeout, deployment, validate, raw, save.",
               returns: "the model's output, shaped as its schema says (a string, a list of file URLs, a table…; a concatenated output is one string); a failed run raises a model error carrying the prediction",
               example: #"local out = replicate.run("replicate/hello-world", {text = "kosmo"})"# + "\n" + #"print(out)"#),
        Helper(name: "stream", signature: "replicate.stream(ref, input, opts) -> iterator of events", access: .write,
               summary: "Runs a model and iterates over its server-sent events ({event = \"output\"|\"logs\", data =, id =}; tostring(event) is its data). The loop ends after the done event; an error event raises a model error.",
               returns: "an iterator of events {event = \"output\"|\"logs\", data, id}; tostring(event) is its data",
               example: #"""
                   local text = {}
                   for event in replicate.stream("meta/meta-llama-3-8b-instruct", {prompt = "Say hi"}) do
                     if event.event == "output" then text[#text + 1] = event.data end
                   end
                   print(table.concat(text))
                   """#),
        Helper(name: "model", signature: "replicate.model(ref) -> {owner, name, version, official, inputs, output}", access: .read,
               summary: "A model's interface from its schema: inputs in the model's order (name, type, default, minimum, maximum, choices, required, file, description) and the output's shape (type, items, file, iterator, concatenate). ref is owner/name (its latest version) or owner/name:version.",
               returns: "{owner, name, version, official, inputs = {{name, type, default, minimum, maximum, choices, required, file, description}, …}, output = {type, items, file, iterator, concatenate}}",
               example: #"for _, field in ipairs(replicate.model("black-forest-labs/flux-schnell").inputs) do print(field.name, field.type) end"#),
        Helper(name: "file", signature: "replicate.file(path) -> {path}", access: nil,
               summary: "A local file as a model's file input (a plain path works too, and so does an open file from io.open, which stands for the file it names): up to 256 KB it is sent inline as a data URI, larger (up to 100 MiB) it is uploaded once the run is approved and its URL is sent. In the sandbox the path needs --allow-read DIR.",
               returns: "{path = path} (an open file is returned as it is), to put in a run's input",
               example: #"local out = replicate.run("stability-ai/sdxl", {prompt = "in this style", input_images = replicate.file("photo.png")})"#),
        Helper(name: "wait", signature: "replicate.wait(prediction_or_id, opts) -> prediction", access: .read,
               summary: "Polls a prediction (or training: opts.training = true, or a training table) until it finishes and returns it, whatever its final status; opts.save = DIR saves its output files as run does. opts: timeout, training, save.",
               returns: "the prediction (or training) in its final state, whatever it is: replicate.Prediction {id, status, output, error, logs, metrics, urls, …}",
               example: Examples.prediction + "\n" + #"p = replicate.wait(p)"# + "\n" + #"print(p.status, p.output)"#),
        Helper(name: "paginate", signature: "replicate.paginate(name, args) -> iterator of items", access: .read,
               summary: "Iterates over every item of a paginated function (list_models, list_predictions, search_models, …), fetching pages as needed.",
               returns: "an iterator over every item of every page (the items are the pages' results)",
               example: #"for model in replicate.paginate("list_models") do print(model.owner .. "/" .. model.name) end"#),
        Helper(name: "map", signature: "replicate.map(items, fn, {concurrency = n, return_errors = false, save = DIR}) -> results[, errors]", access: nil,
               summary: "Calls fn(item, i) for every item as concurrent tasks (replicate calls overlap) and returns the results in order. The first failure is raised after all finish, unless return_errors = true, which returns results and a table of errors by index. save = DIR: every run and wait in the tasks saves its outputs into DIR.",
               returns: "the results of fn in the items' order; with return_errors = true, also the errors by index (json.null and false in the holes, so both encode as JSON)",
               example: #"""
                   local outs = replicate.map({"a", "b", "c"}, function(text)
                     return replicate.run("replicate/hello-world", {text = text})
                   end, {concurrency = 8})
                   print(table.concat(outs, ", "))
                   """#),
        Helper(name: "all", signature: "replicate.all({f1, f2, …}, {concurrency = n, return_errors = false, save = DIR}) -> results[, errors]", access: nil,
               summary: "Runs each function as a concurrent task and returns their results in order; errors and save as in map.",
               returns: "the functions' results in order; with return_errors = true, also the errors by index, as map",
               example: #"""
                   local me, hardware = table.unpack(replicate.all{
                     function() return replicate.get_account() end,
                     function() return replicate.list_hardware() end,
                   })
                   print(me.username, #hardware)
                   """#),
        Helper(name: "upload", signature: "replicate.upload(path_or_string, opts) -> file", access: .write,
               summary: "Uploads a local file (by path; in the sandbox it needs --allow-read DIR) or a string's bytes (with opts.filename) and returns the file object; use file.urls.get as a model input. opts: filename, content_type, metadata.",
               returns: "replicate.File {id, name, size, content_type, checksums, created_at, expires_at, metadata, urls = {get}}",
               example: #"local f = replicate.upload("photo.png")"# + "\n" + #"print(f.id, f.urls.get)"#),
        Helper(name: "download", signature: "replicate.download(url_or_file, path) -> {path, bytes, content_type}", access: .read,
               summary: "Streams a URL (a model output, or a file object's urls.get) to a local file, replacing one there atomically; never to a directory. In the sandbox the path needs --allow-write DIR and the URL must be on the API's own file hosts (--allow-download-host HOST adds others).",
               returns: "{path, bytes, content_type}: where the file went, its size and its type",
               example: #"local out = replicate.run("black-forest-labs/flux-schnell", {prompt = "a red fox"})"# + "\n" + #"print(replicate.download(out[1], "fox.png").bytes)"#),
        Helper(name: "webhooks.verify", signature: "replicate.webhooks.verify{headers =, body =, secret =} -> boolean", access: nil,
               summary: "Checks a webhook's signature (webhook-id, webhook-timestamp, webhook-signature headers; HMAC-SHA256). Without secret, the account's default webhook secret is fetched (a read).",
               returns: "true when the signature matches and the timestamp is recent, false otherwise",
               example: #"""
                   -- a delivery as a handler receives it (here signed on the spot)
                   local secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
                   local body, now = '{"id":"p1","status":"succeeded"}', os.time()
                   local headers = {["webhook-id"] = "msg_1", ["webhook-timestamp"] = tostring(now),
                     ["webhook-signature"] = replicate.webhooks.sign{id = "msg_1", timestamp = now, body = body, secret = secret}}
                   print(replicate.webhooks.verify{headers = headers, body = body, secret = secret})
                   """#),
        Helper(name: "webhooks.sign", signature: "replicate.webhooks.sign{id =, timestamp =, body =, secret =} -> string", access: nil,
               summary: "The webhook-signature header value Replicate would send for this delivery; for testing a webhook handler offline.",
               returns: "the webhook-signature header value (\"v1,\" and the base64 HMAC)",
               example: #"""
                   local secret = replicate.get_default_webhook_secret().key
                   print(replicate.webhooks.sign{id = "msg_1", timestamp = os.time(), body = '{"status":"succeeded"}', secret = secret})
                   """#),
        Helper(name: "sleep", signature: "replicate.sleep(seconds)", access: nil,
               summary: "Waits for seconds (0 to 86400) without busy-looping. Inside replicate.map, replicate.all or any other task it yields, so the other tasks and their calls keep running; the time counts toward the run's time limit, so a sleep past it ends the run with a limit error.",
               returns: "nothing",
               example: #"""
                   local started = os.time()
                   local waited = replicate.map({1, 2, 3}, function(i) replicate.sleep(0.5) return i end)
                   print(#waited .. " tasks slept together, about 0.5 s in all")
                   """#),
        Helper(name: "journal", signature: "replicate.journal(path)", access: nil,
               summary: "Keeps this run's journal of creates in the SQLite file at path, as --journal does; call it before the script's first create. Running the script again with the same journal reattaches each create to the prediction it made instead of creating it again. Not in the sandbox.",
               returns: "nothing",
               example: #"""
                   replicate.journal("batch.journal")
                   -- run the script again: this create is answered from the journal, not made twice
                   print(replicate.run("replicate/hello-world", {text = "kosmo"}))
                   """#),
        Helper(name: "help", signature: "replicate.help(name)", access: nil,
               summary: "Prints what a function takes and returns, with an example; with no name, lists every function.",
               returns: "nothing: it prints the text",
               example: #"replicate.help("create_prediction")"#),
    ]

    /// How docs and discovery name an access: `read`, `write`, or `none` for a helper that
    /// makes no request of its own.
    public static func accessName(_ access: Access?) -> String {
        access?.rawValue ?? "none"
    }

    /// Every name of the `replicate` table a script may call.
    public static var allNames: [String] {
        Catalog.operations.map(\.name) + helpers.map(\.name)
    }

    /// The nearest function name to a misspelt one.
    public static func closestName(to name: String) -> String? {
        let bare = name.hasPrefix("replicate_") ? String(name.dropFirst("replicate_".count)) : name
        return Catalog.closest(to: bare, among: allNames)
    }

    /// `replicate.help(name)`: the text for one function, or the list of all of them.
    public static func helpText(for name: String?) -> String {
        guard let name, !name.isEmpty else { return overview }
        if let helper = helpers.first(where: { $0.name == name }) {
            return "\(helper.signature)  (\(helper.access?.rawValue ?? "no request of its own"))\n\(helper.summary)\nReturns: \(helper.returns)\nExample:\n" + indented(helper.example)
        }
        guard let operation = Catalog.operation(named: name) else {
            var text = "replicate.\(name) does not exist"
            if let near = closestName(to: name) { text += "; did you mean replicate.\(near)? (replicate.help(\"\(near)\"))" }
            return text
        }
        return text(for: operation)
    }

    static func text(for operation: OperationSpec) -> String {
        var lines = ["replicate.\(operation.name){…}  (\(operation.access.rawValue))  \(operation.method) \(operation.path)", operation.summary]
        let specs = operation.parameters.filter { $0.location != .header } + (operation.body?.fields ?? [])
        if specs.isEmpty {
            lines.append("Takes no arguments.")
        } else {
            lines.append("Arguments:")
            for spec in specs {
                // The first paragraph beside the name; the rest (lists, notes) indented below it.
                let paragraphs = spec.description.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
                lines.append("  \(spec.name) (\(spec.type)\(spec.required ? ", required" : ""))  \(paragraphs.first ?? "")")
                lines += paragraphs.dropFirst().map { "      " + $0 }
            }
        }
        if operation.creates == .prediction {
            lines.append("  wait (true or 1..60)  hold the request until the prediction finishes (Prefer: wait)")
            lines.append("  cancel_after (seconds or \"5m\")  cancel the prediction after this long")
        }
        if operation.paginated { lines.append("  cursor (string)  a page's next URL; returns {results = {…}, next = url|nil}") }
        lines.append("Returns: " + operation.returns)
        lines.append("Example:\n" + indented(example(for: operation)))
        return lines.joined(separator: "\n")
    }

    /// A call that shows the short form where there is one.
    /// An example as help shows it: each line indented by two spaces.
    static func indented(_ example: String) -> String {
        example.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
    }

    public static func example(for operation: OperationSpec) -> String {
        // Every API function has a runnable example (`Examples`; a test runs each one); the
        // generated line is for a function the catalog gains before its example is written.
        if let example = Examples.api[operation.name] { return example }
        let call = "replicate.\(operation.name)"
        return operation.paginated ? "local page = \(call)()  -- page.results, page.next" : "local x = \(call)()"
    }

    static var overview: String {
        var lines = ["replicate: \(Catalog.operations.count) API functions (each also as replicate.replicate_<name>) and helpers.", "Helpers:"]
        for helper in helpers { lines.append("  \(helper.signature)") }
        for access in [Access.read, .write] {
            lines.append("\(access == .read ? "Reads" : "Writes") (\(access.rawValue)):")
            for operation in Catalog.operations where operation.access == access {
                lines.append("  \(operation.name.padding(toLength: 30, withPad: " ", startingAt: 0)) \(operation.summary)")
            }
        }
        lines.append("replicate.help(\"name\") shows one function's arguments and an example.")
        return lines.joined(separator: "\n")
    }
}
