import Foundation
import LuaHost
import Replicate
@testable import ReplicateLua
@testable import ReplicateSim
import Testing

/// Fault tests: a script of 1,000 `replicate.*` calls against a simulator that
/// refuses (429, 503) and cuts connections after carrying requests out (reset). The script must
/// finish with no error, and no prediction may be created twice.
///
/// What makes this provable: the simulator's reset runs the request first (a create creates its
/// prediction) and then cuts the answer, so a client that repeated a POST after a reset would
/// leave two predictions with the same input, which the checks below count. The client repeats
/// a POST only after 429 or 503 (refused, not run); after a reset it raises a `network` error
/// that says the POST may have been carried out, and the script settles those by looking the
/// prediction up (each job's input is unique), as a user would.
@Suite("Faults: retries without duplicate creates", .serialized)
struct FaultTests {
    /// A simulator with `faults`, rate limits off (only the injected faults refuse), fast models.
    func withFaultySim<T>(_ faults: String, seed: UInt64, _ body: (Simulator) async throws -> T) async throws -> T {
        try await withSim(configure: { options in
            options.faults = try FaultSpec(parsing: faults)
            options.seed = seed
            options.createsPerMinute = 0
            options.otherRequestsPerMinute = 0
        }, body)
    }

    /// Lua shared by both tests: `create_once(text)` creates a `sim/echo` prediction and returns it,
    /// or nil when the answer was lost (the POST may have run); `settle(texts)` finds each lost
    /// one by its unique input and creates only those that do not exist.
    static let prelude = """
        local unknown_marker = "the server may have carried out this POST"
        local function create_once(text)
          local ok, p = pcall(replicate.create_model_prediction, "sim/echo", {text = text}, {wait = true})
          if ok then return p end
          if type(p) == "table" and p.kind == "network" and tostring(p.message):find(unknown_marker, 1, true) then
            return nil
          end
          error(p, 0)
        end
        local function settle(texts)
          local wanted, found, recreated = {}, 0, 0
          for _, t in ipairs(texts) do wanted[t] = true end
          for p in replicate.paginate("list_predictions") do
            local t = p.input and p.input.text
            if t and wanted[t] then wanted[t] = nil; found = found + 1 end
          end
          for _, t in ipairs(texts) do
            if wanted[t] then assert(create_once(t), "create of " .. t .. " lost twice"); recreated = recreated + 1 end
          end
          return found, recreated
        end
        """

    /// Predictions in the simulator per input text.
    static func createdPerText(_ sim: Simulator) -> [String: Int] {
        var counts: [String: Int] = [:]
        for p in sim.core.state.listPredictions(trainings: false) {
            if let text = p.input["text"]?.string { counts[text, default: 0] += 1 }
        }
        return counts
    }

    static func isCreate(_ r: SimRequestRecord) -> Bool {
        r.method == "POST" && r.path == "/v1/models/sim/echo/predictions"
    }

    @Test("1,000 calls under 10% 429, 5% 503, 2% resets: no error, no prediction created twice")
    func thousandCallsUnderFaults() async throws {
        try await withFaultySim("429:0.1,503:0.05,reset:0.02", seed: 7) { sim in
            let outcome = try await runLua(Self.prelude + """

                local first = create_once("seed")
                local lost = {}
                if not first then lost[1] = "seed" end
                local seen = {creates = 0, lost = 0, reads = 0}
                local items = {}
                for i = 1, 1000 do items[i] = i end
                local results = replicate.map(items, function(i)
                  local k = i % 5
                  if k == 1 or k == 3 then
                    seen.creates = seen.creates + 1
                    local p = create_once("job-" .. i)
                    if not p then seen.lost = seen.lost + 1; lost[#lost + 1] = "job-" .. i; return "lost" end
                    assert(p.status == "succeeded" and p.output.text == "job-" .. i, "unexpected create result: " .. tostring(p.status))
                    return "created"
                  end
                  seen.reads = seen.reads + 1
                  if k == 2 then return replicate.get_account().username
                  elseif k == 4 then return replicate.get_model("sim/echo").name
                  elseif first then return replicate.get_prediction(first.id).status
                  else return #replicate.list_hardware() end
                end, {concurrency = 25})
                assert(#results == 1000)
                local found, recreated = settle(lost)
                return json.encode{creates = seen.creates, lost = seen.lost + (first and 0 or 1), reads = seen.reads,
                                   found = found, recreated = recreated}
                """, sim: sim) { $0.policy.write = PolicySetting(.allow, source: "test") }

            #expect(outcome.error == nil, "the script failed: \(outcome.error?.message ?? "")")
            let summary = try #require(outcome.json, "no summary")
            #expect(summary["creates"] == 400)
            #expect(summary["reads"] == 600)

            // Every job (and the seed) has exactly one prediction: nothing was created twice.
            let counts = Self.createdPerText(sim)
            let expected = Set((1...1000).filter { $0 % 5 == 1 || $0 % 5 == 3 }.map { "job-\($0)" } + ["seed"])
            #expect(Set(counts.keys) == expected)
            let twice = counts.filter { $0.value > 1 }
            #expect(twice.isEmpty, "created more than once: \(twice)")

            // The request log agrees: the create POSTs the server carried out (answered, or run
            // and then cut) are exactly one per job; the others were refused and not run.
            let log = sim.requests()
            let creates = log.filter(Self.isCreate)
            let carriedOut = creates.filter { $0.fault == nil || $0.fault == "reset" }
            #expect(carriedOut.count == expected.count)
            #expect(Int64(creates.filter { $0.fault == "reset" }.count) == summary["lost"]?.intValue)
            #expect(summary["found"] == summary["lost"], "every lost answer was a created prediction")
            #expect(summary["recreated"] == 0)

            // The faults really happened, at about the rates asked for (seeded; the order of
            // concurrent requests varies, so the counts are checked loosely).
            let api = log.filter { $0.path.hasPrefix("/v1/") }
            let by = Dictionary(grouping: api, by: { $0.fault ?? "none" }).mapValues(\.count)
            let total = Double(api.count)
            print("fault test: \(api.count) API requests for 1,000 calls; faults \(by); lost create answers \(summary["lost"] ?? .null)")
            #expect(api.count > 1000)
            #expect(Double(by["429"] ?? 0) / total > 0.06 && Double(by["429"] ?? 0) / total < 0.14, "\(by)")
            #expect(Double(by["503"] ?? 0) / total > 0.025 && Double(by["503"] ?? 0) / total < 0.08, "\(by)")
            #expect((by["reset"] ?? 0) >= 5, "\(by)")
        }
    }

    @Test("A create whose answer is cut is never sent again; settling finds it instead")
    func resetCreatesAreNotRepeated() async throws {
        // 30% resets and nothing else: every POST that reaches the log was sent exactly once.
        try await withFaultySim("reset:0.3", seed: 11) { sim in
            let outcome = try await runLua(Self.prelude + """

                local lost = {}
                for i = 1, 60 do
                  if not create_once("r-" .. i) then lost[#lost + 1] = "r-" .. i end
                end
                local found, recreated = settle(lost)
                return json.encode{lost = #lost, found = found, recreated = recreated}
                """, sim: sim) { $0.policy.write = PolicySetting(.allow, source: "test") }
            #expect(outcome.error == nil, "the script failed: \(outcome.error?.message ?? "")")
            let summary = try #require(outcome.json)
            let creates = sim.requests().filter(Self.isCreate)
            // One POST per job: a cut answer was not followed by a second POST.
            #expect(creates.count == 60)
            let resets = creates.filter { $0.fault == "reset" }.count
            #expect(resets >= 5, "seed 11 cuts about 18 of 60")
            #expect(summary["lost"]?.intValue == Int64(resets))
            #expect(summary["found"]?.intValue == Int64(resets))
            #expect(summary["recreated"] == 0)
            let counts = Self.createdPerText(sim)
            #expect(counts.count == 60 && counts.values.allSatisfy { $0 == 1 }, "\(counts.filter { $0.value != 1 })")
            // The error the script saw is the honest one: kind network, naming the doubt.
            let cut = outcome.calls.filter { $0.function == "create_model_prediction" && $0.error == .network }
            #expect(cut.count == resets, "the call log records each cut create as a network error")
        }
    }
}
