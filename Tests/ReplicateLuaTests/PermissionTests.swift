import Foundation
import LuaHost
import Replicate
@testable import ReplicateLua
import ReplicateSim
import Testing

/// Calls every function of one access class with valid arguments; returns name → outcome.
private func callEvery(_ access: Access, sim: Simulator, configure: @escaping (inout ReplicateSettings) -> Void) async throws -> (JSONValue?, Outcome) {
    var table: [String: JSONValue] = [:]
    for operation in Catalog.operations where operation.access == access { table[operation.name] = sampleArguments(operation) }
    let arguments = try JSONValue.object(table).encodedString()
    let code = """
        local out = {}
        for name, args in pairs(json.decode[==[\(arguments)]==]) do
          local ok, e = pcall(replicate[name], args)
          out[name] = ok and "performed" or (e.kind .. ": " .. tostring(e))
        end
        return json.encode(out)
        """
    let outcome = try await runLua(code, sim: sim, configure: configure)
    return (outcome.json, outcome)
}

@Suite("Permission policy")
struct PermissionTests {
    @Test("--write deny: each of the 15 writes raises a permission error and no request is sent")
    func writeDeny() async throws {
        try await withSim { sim in
            let (results, outcome) = try await callEvery(.write, sim: sim) { $0.policy.write = PolicySetting(.deny, source: "--write deny") }
            let object = try #require(results?.objectValue, "script failed: \(String(describing: outcome.error))")
            #expect(object.count == 15)
            for (name, result) in object {
                let text = result.stringValue ?? ""
                #expect(text.hasPrefix("permission: permission error in replicate.\(name): writes are denied (--write deny)"), "\(name): \(text)")
                #expect(text.contains("--write allow"))
            }
            #expect(sim.requests().isEmpty, "requests reached the simulator: \(sim.requests().map(\.path))")
            #expect(outcome.calls.count == 15)
            #expect(outcome.calls.allSatisfy { $0.decision == .denied && $0.access == .write && $0.status == nil })
        }
    }

    @Test("--read deny: each of the 22 reads raises a permission error and no request is sent")
    func readDeny() async throws {
        try await withSim { sim in
            let (results, outcome) = try await callEvery(.read, sim: sim) { $0.policy.read = PolicySetting(.deny, source: "--read deny") }
            let object = try #require(results?.objectValue, "script failed: \(String(describing: outcome.error))")
            #expect(object.count == 22)
            for (name, result) in object {
                #expect(result.stringValue?.hasPrefix("permission: permission error in replicate.\(name): reads are denied (--read deny)") == true, "\(name): \(result)")
            }
            #expect(sim.requests().isEmpty)
        }
    }

    @Test("Default policy with nobody to ask: a write fails closed and names the flags that allow it")
    func defaultAskWithoutTerminal() async throws {
        try await withSim { sim in
            let outcome = try await runLua(#"return replicate.create_model{owner = "sim", name = "x", visibility = "private", hardware = "cpu"}"#, sim: sim)
            let error = try #require(outcome.error)
            #expect(ErrorKind(error) == .permission)
            #expect(error.message.contains("there is no terminal to ask on"))
            #expect(error.message.contains("--allow create_model") && error.message.contains("--write allow") && error.message.contains("--force"))
            #expect(sim.requests().isEmpty)
            // Reads are allowed by default.
            let read = try await runLua(#"return replicate.get_account().username"#, sim: sim)
            #expect(read.text == "sim")
        }
    }

    @Test("ask: yes performs, no refuses, always stops asking for that function, all writes for every write")
    func askAnswers() async throws {
        try await withSim { sim in
            let create = #"replicate.create_prediction{version = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa", input = {text = "a"}}"#
            let yes = ScriptedApprover([.yes])
            let performed = try await runLua("return \(create).id", sim: sim, approver: yes)
            #expect(performed.error == nil && performed.text != nil)
            #expect(yes.asked.first?.function == "create_prediction")
            #expect(yes.asked.first?.arguments.contains(#"version="5c7d"#) == true)
            #expect(performed.calls.first?.decision == .approved)

            sim.clearRequests()
            let no = ScriptedApprover([.no])
            let refused = try await runLua("return \(create).id", sim: sim, approver: no)
            #expect(refused.error.map(ErrorKind.init) == .permission)
            #expect(refused.error?.message.contains("refused at the prompt") == true)
            #expect(sim.requests().isEmpty)

            let always = ScriptedApprover([.alwaysThisFunction])
            let three = try await runLua("for i = 1, 3 do \(create) end; return 'ok'", sim: sim, approver: always)
            #expect(three.error == nil)
            #expect(always.questions == 1)

            let allWrites = ScriptedApprover([.allWrites])
            let mixed = try await runLua("""
                \(create)
                replicate.create_model{owner = "sim", name = "allw", visibility = "private", hardware = "cpu"}
                return replicate.delete_model("sim/allw")
                """, sim: sim, approver: allWrites)
            #expect(mixed.error == nil, "\(String(describing: mixed.error))")
            #expect(allWrites.questions == 1)
        }
    }

    @Test("--force performs writes and the call log marks them forced")
    func force() async throws {
        try await withSim { sim in
            let outcome = try await runLua(#"return replicate.create_model{owner = "sim", name = "forced", visibility = "private", hardware = "cpu"}.name"#, sim: sim) {
                $0.policy.write = PolicySetting(.deny, source: "--write deny")
                $0.policy.force = true
            }
            #expect(outcome.text == "forced")
            #expect(outcome.calls.map(\.decision) == [.forced])
            #expect(sim.requests().contains { $0.method == "POST" && $0.path == "/v1/models" })
        }
    }

    @Test("Per-function overrides beat the access class; helpers have their own names")
    func perFunction() async throws {
        try await withSim { sim in
            let outcome = try await runLua("""
                local ok1 = pcall(replicate.get_account)
                local ok2 = pcall(replicate.list_hardware)
                local out = replicate.run("replicate/hello-world:5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa", {text = "x"})
                local ok3, e = pcall(replicate.create_prediction, {version = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa", input = {text = "y"}})
                return json.encode{ok1, ok2, out, ok3, tostring(e)}
                """, sim: sim) {
                $0.policy.functions["get_account"] = PolicySetting(.deny, source: "--deny get_account")
                $0.policy.functions["run"] = PolicySetting(.allow, source: "--allow run")
            }
            let values = try #require(outcome.json?.arrayValue, "\(String(describing: outcome.error))")
            #expect(values[0] == false && values[1] == true && values[2] == "hello x" && values[3] == false)
            #expect(values[4].stringValue?.contains("writes ask for approval") == true)
        }
    }

    @Test("Spend guard: --max-predictions 2 lets two runs through and stops the third before any request")
    func spendGuard() async throws {
        try await withSim { sim in
            let outcome = try await runLua("""
                local v = "replicate/hello-world:5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
                replicate.run(v, {text = "1"})
                replicate.create_prediction{version = v:sub(-64), input = {text = "2"}}
                local ok, e = pcall(replicate.run, v, {text = "3"})
                return json.encode{ok, e.kind, e.message}
                """, sim: sim) {
                $0.policy.force = true
                $0.maxPredictions = 2
            }
            let values = try #require(outcome.json?.arrayValue, "\(String(describing: outcome.error))")
            #expect(values[0] == false && values[1] == "limit")
            #expect(values[2].stringValue?.contains("--max-predictions 2") == true)
            #expect(sim.requests().filter { $0.method == "POST" }.count == 2)
        }
    }

    @Test("Sandbox: upload from a path and download to a path need --allow-read / --allow-write")
    func sandboxFileGrants() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kosmo-grants-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("in.txt")
        try Data("granted bytes".utf8).write(to: file)
        try await withSim { sim in
            let code = """
                local ok, e = pcall(replicate.upload, "\(file.path)")
                local ok2, e2 = pcall(replicate.download, "\(sim.baseURL.absoluteString)/../_sim/files/none/x.png", "\(directory.path)/out.bin")
                local ok3, e3 = pcall(replicate.upload, "/etc/passwd")
                return json.encode{ok, ok and e.size or e.kind, ok2, e2.kind, ok3, e3.kind}
                """
            let denied = try await runLua(code, sim: sim, profile: .sandbox) { $0.policy.force = true }
            let d = try #require(denied.json?.arrayValue, "\(String(describing: denied.error))")
            #expect(d[0] == false && d[1] == "permission" && d[3] == "permission" && d[5] == "permission")

            let granted = try await runLua(code, sim: sim, profile: .sandbox) {
                $0.policy.force = true
                $0.allowRead = [directory.resolvingSymlinksInPath().path]
                $0.allowWrite = [directory.resolvingSymlinksInPath().path]
            }
            let g = try #require(granted.json?.arrayValue, "\(String(describing: granted.error))")
            #expect(g[0] == true && g[1] == 13)
            // The download was allowed and then failed at the server (404), not on the policy.
            #expect(g[2] == false && g[3] == "http")
            #expect(g[4] == false && g[5] == "permission")
        }
    }
}
