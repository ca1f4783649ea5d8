import Foundation
import LuaHost
import Replicate
@testable import ReplicateLua
import ReplicateSim
import Testing

let hello = "replicate/hello-world:5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"

@Suite("replicate.* calls")
struct CallTests {
    @Test("Short forms: owner/name, owner/name:version, ids, positional arguments in schema order")
    func shortForms() async throws {
        try await withSim { sim in
            let outcome = try await runLua("""
                local m = replicate.get_model("replicate/hello-world")
                local m2 = replicate.get_model{model_owner = "replicate", model_name = "hello-world"}
                local m3 = replicate.replicate_get_model("replicate", "hello-world")
                local m4 = replicate.get_model{"replicate/hello-world"}
                local v = replicate.get_model_version("\(hello)")
                local p = replicate.create_prediction("\(hello.suffix(64))", {text = "pos"}, {wait = true})
                local again = replicate.get_prediction(p.id)
                return json.encode{m.name, m2.name, m3.name, m4.name, v.id, again.output}
                """, sim: sim) { $0.policy.force = true }
            #expect(outcome.json == ["hello-world", "hello-world", "hello-world", "hello-world", .string(String(hello.suffix(64))), "hello pos"],
                    "\(String(describing: outcome.error))")
        }
    }

    @Test("Checks before any request: unknown key (with the nearest), missing key, wrong type, too many arguments")
    func argumentChecks() async throws {
        try await withSim { sim in
            let outcome = try await runLua("""
                local out = {}
                local function try(f, ...) local ok, e = pcall(f, ...); out[#out + 1] = e.kind .. ": " .. e.message end
                try(replicate.get_model, {model_owner = "a", modle_name = "b"})
                try(replicate.get_model, {model_owner = "a"})
                try(replicate.create_deployment, {name = "d", model = "a/b", version = "v", hardware = "cpu", min_instances = "zero", max_instances = 1})
                try(replicate.get_account, "extra")
                try(replicate.get_model, "not a reference")
                try(replicate.get_model, {model_owner = "a", model_name = function() end})
                return json.encode(out)
                """, sim: sim) { $0.policy.force = true }
            let values = try #require(outcome.json?.arrayValue, "\(String(describing: outcome.error))")
            let messages = values.compactMap(\.stringValue)
            #expect(messages.count == 6)
            #expect(messages[0].hasPrefix("validation: ") && messages[0].contains("unknown argument 'modle_name'") && messages[0].contains("did you mean 'model_name'?"))
            #expect(messages[1].contains("missing required argument 'model_name'"))
            #expect(messages[2].contains("'min_instances' must be an integer, got string"))
            #expect(messages[3].contains("too many arguments"))
            #expect(messages[4].contains("'not a reference'"))
            #expect(messages[5].contains("cannot be sent as JSON"))
            #expect(sim.requests().isEmpty)
        }
    }

    @Test("Errors are tables: kind, status, detail; tostring is one line; misspelt names suggest the right one")
    func errorTables() async throws {
        try await withSim { sim in
            let outcome = try await runLua("""
                local ok, e = pcall(replicate.get_model, "nobody/nothing")
                local ok2, e2 = pcall(function() return replicate.get_modle end)
                local ok3, e3 = pcall(function() return replicate.replicate_list_modles end)
                return json.encode{ok, e.kind, e.status, e.detail, e["function"], tostring(e), e2, e3}
                """, sim: sim)
            let v = try #require(outcome.json?.arrayValue, "\(String(describing: outcome.error))")
            #expect(v[0] == false && v[1] == "http" && v[2] == 404 && v[3] == "Model not found." && v[4] == "get_model")
            let line = try #require(v[5].stringValue)
            #expect(line == "http error in replicate.get_model: HTTP 404 Not found: Model not found.")
            #expect(!line.contains("\n"))
            #expect(v[6].stringValue?.hasSuffix("replicate.get_modle does not exist; did you mean replicate.get_model?") == true)
            #expect(v[6].stringValue?.hasPrefix("test:") == true, "the error points at the script's line")
            #expect(v[7].stringValue?.contains("did you mean replicate.list_models?") == true)
        }
    }

    @Test("run returns the output; a failed model raises a model error with the prediction attached")
    func runAndModelErrors() async throws {
        try await withSim { sim in
            let outcome = try await runLua("""
                local out = replicate.run("\(hello)", {text = "run"})
                local ok, e = pcall(replicate.run, "sim/fail", {message = "boom"})
                return json.encode{out, ok, e.kind, e.prediction.status, e.prediction.error, tostring(e)}
                """, sim: sim) { $0.policy.force = true }
            let v = try #require(outcome.json?.arrayValue, "\(String(describing: outcome.error))")
            #expect(v[0] == "hello run" && v[1] == false && v[2] == "model" && v[3] == "failed" && v[4] == "boom")
            #expect(v[5].stringValue?.hasPrefix("model error in replicate.run: prediction ") == true)
            #expect(outcome.calls.map(\.function) == ["run", "run"])
            #expect(outcome.calls[0].predictionID != nil && outcome.calls[0].status == 201 || outcome.calls[0].status == 200)
            #expect(outcome.calls[1].error == .model)
        }
    }

    @Test("Paginated calls return results and next; cursor follows; paginate walks every page; deletes return true")
    func pagination() async throws {
        try await withSim(pageSize: 3) { sim in
            let outcome = try await runLua("""
                local first = replicate.list_models()
                local second = replicate.list_models{cursor = first.next}
                local all = {}
                for m in replicate.paginate("list_models") do all[#all + 1] = m.owner .. "/" .. m.name end
                replicate.create_model{owner = "sim", name = "temp", visibility = "private", hardware = "cpu"}
                local deleted = replicate.delete_model("sim/temp")
                local ok, e = pcall(replicate.paginate("get_model"))
                return json.encode{#first.results, type(first.next), #second.results, #all, deleted, e.message}
                """, sim: sim) { $0.policy.force = true }
            let v = try #require(outcome.json?.arrayValue, "\(String(describing: outcome.error))")
            #expect(v[0] == 3 && v[1] == "string" && v[2] == 3 && v[3] == 11 && v[4] == true)
            #expect(v[5].stringValue?.contains("get_model is not paginated") == true)
        }
    }

    @Test("stream yields output events and ends after done; breaking out closes the stream")
    func stream() async throws {
        try await withSim { sim in
            let outcome = try await runLua("""
                local n, text = 0, {}
                for event in replicate.stream("meta/meta-llama-3-8b-instruct", {prompt = "hi", max_tokens = 5}) do
                  if event.event == "output" then n = n + 1; text[#text + 1] = tostring(event) end
                end
                for event in replicate.stream("meta/meta-llama-3-8b-instruct", {prompt = "again"}) do break end
                return json.encode{n, #table.concat(text) > 0}
                """, sim: sim) { $0.policy.force = true }
            let v = try #require(outcome.json?.arrayValue, "\(String(describing: outcome.error))")
            #expect(v[0] == 5 && v[1] == true)
        }
    }

    @Test("map over 50 one-second runs with concurrency 50 overlaps them (about one second, not fifty)")
    func mapConcurrency() async throws {
        try await withSim(speed: 1) { sim in
            let started = Date()
            let outcome = try await runLua("""
                local items = {}
                for i = 1, 50 do items[i] = i end
                local results = replicate.map(items, function(i) return replicate.run("sim/slow", {seconds = 1}) end, {concurrency = 50})
                return #results
                """, sim: sim) { $0.policy.force = true }
            let elapsed = Date().timeIntervalSince(started)
            #expect(outcome.text == "50", "\(String(describing: outcome.error))")
            // Serially this takes 50 s; the bound only proves the runs overlapped.
            #expect(elapsed < 15, "map took \(elapsed) s")
            #expect(sim.requests().filter { $0.method == "POST" }.count == 50)
        }
    }

    @Test("all runs functions concurrently, results in order; failures raise, or come back with return_errors")
    func allAndErrors() async throws {
        try await withSim { sim in
            let outcome = try await runLua("""
                local r = replicate.all{
                  function() return replicate.get_account().username end,
                  function() return #replicate.list_hardware() end,
                }
                local ok, e = pcall(replicate.all, {function() return 1 end, function() replicate.get_model("no/such") end})
                local results, errors = replicate.map({"replicate/hello-world", "no/such"}, function(ref) return replicate.get_model(ref).name end, {return_errors = true})
                return json.encode{r[1], r[2], ok, e.kind, results[1], errors[2].status}
                """, sim: sim)
            #expect(outcome.json == ["sim", 6, false, "http", "hello-world", 404], "\(String(describing: outcome.error))")
        }
    }

    @Test("upload (string and file), download, webhooks.verify against the simulator's secret")
    func filesAndWebhooks() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kosmo-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withSim { sim in
            let outcome = try await runLua("""
                local f = replicate.upload("some bytes", {filename = "a.txt"})
                local got = replicate.download(f, "\(directory.path)/a.txt")
                local ok, e = pcall(replicate.upload, "/no/such/file")
                local secret = replicate.get_default_webhook_secret().key
                local body = '{"id":"p1"}'
                local headers = {["webhook-id"] = "m1", ["webhook-timestamp"] = tostring(os.time())}
                headers["webhook-signature"] = replicate.webhooks.sign{id = "m1", timestamp = os.time(), body = body, secret = secret}
                local good = replicate.webhooks.verify{headers = headers, body = body}
                local bad = replicate.webhooks.verify{headers = headers, body = body .. " ", secret = secret}
                return json.encode{f.size, got.bytes, e.kind, good, bad}
                """, sim: sim) { $0.policy.force = true }
            #expect(outcome.json == [10, 10, "validation", true, false], "\(String(describing: outcome.error))")
            #expect(try String(contentsOf: directory.appendingPathComponent("a.txt"), encoding: .utf8) == "some bytes")
        }
    }

    @Test("help describes functions and helpers; the call log records every call")
    func helpAndCallLog() async throws {
        try await withSim { sim in
            let outcome = try await runLua("""
                replicate.help("get_model")
                replicate.help(replicate.map)
                replicate.help("get_modle")
                replicate.get_account()
                pcall(replicate.get_model, "no/such")
                return true
                """, sim: sim, profile: .sandbox)
            #expect(outcome.output.contains("replicate.get_model{…}  (read)  GET /models/{model_owner}/{model_name}"))
            #expect(outcome.output.contains("model_owner (string, required)"))
            #expect(outcome.output.contains("replicate.map(items, fn"))
            #expect(outcome.output.contains("did you mean replicate.get_model?"))
            #expect(outcome.calls.map(\.function) == ["get_account", "get_model"])
            #expect(outcome.calls.map(\.status) == [200, 404])
            #expect(outcome.calls[1].error == .http && outcome.calls[0].decision == .allowed && outcome.calls[0].ms > 0)
        }
    }
}
