import Foundation
import LuaHost
import Replicate
import ReplicateSim
import Testing

/// One `replicate.stream` iterator pulled from by two concurrent tasks: one waits for an event
/// while the others ask too. The state saying a stream is busy or finished is shared by the
/// VM thread and the task that waits for the event; ThreadSanitizer (`make sanitize-thread`)
/// checks that every access to it is ordered.
@Suite("replicate.stream shared by tasks")
struct StreamSharingTests {
    @Test("three tasks sharing one stream iterator get every output event exactly once; one asking while another waits is refused with the already-waiting error, never another")
    func threeTasksOneStream() async throws {
        try await withSim { sim in
            let outcome = try await runLua("""
                local next_event = replicate.stream("meta/meta-llama-3-8b-instruct", {prompt = "hi", max_tokens = 60})
                local seen, refused, other = {}, 0, {}
                local function pull(name)
                  while true do
                    local ok, event = pcall(next_event)
                    if not ok then
                      local message = type(event) == "table" and tostring(event.message) or tostring(event)
                      if message:find("already waiting for an event in another task", 1, true) then
                        refused = refused + 1
                        replicate.get_account()  -- let the other task's wait end, then ask again
                      elseif message:find("this stream is closed", 1, true) then
                        return name
                      else
                        other[#other + 1] = message
                        return name
                      end
                    elseif event == nil then
                      return name
                    elseif event.event == "output" then
                      seen[#seen + 1] = event.data
                    end
                  end
                end
                local done = replicate.all{
                  function() return pull("a") end,
                  function() replicate.get_account(); return pull("b") end,
                  function() replicate.get_account(); replicate.get_account(); return pull("c") end,
                }
                return json.encode{#seen, table.concat(done, ","), #other, table.concat(other, "; "), refused}
                """, sim: sim) { $0.policy.force = true }
            let v = try #require(outcome.json?.arrayValue, "\(String(describing: outcome.error))")
            print("stream shared by three tasks: \(v[0]) events, \(v[4]) requests refused while another task waited")
            #expect(v[0] == 60, "output events seen: \(v[0])")
            #expect(v[1] == "a,b,c")
            #expect(v[2] == 0, "unexpected errors: \(v[3])")
        }
    }
}
