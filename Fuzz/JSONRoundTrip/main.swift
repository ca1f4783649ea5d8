import CFuzzDriver
import CLua
import CLuaBridge
import Foundation
import LuaHost

// libFuzzer target: any bytes through the host's `json.decode` into a Lua state and back out
// through `json.encode`, as scripts use them. Built and run by `make fuzz` (see Fuzz/README.md).
//
// Properties, for every input and both ways of decoding (object nulls dropped, and kept with
// `{nulls = json.null}`):
// - `json.decode` returns a value or raises its own error (a string naming `json.decode`);
// - a value it returns, `json.encode` encodes;
// - that encoding decodes again, and encoding the result gives the same text (a fixed point);
// - the encoding is JSON to an independent parser (Foundation's JSONSerialization);
// - both null modes accept exactly the same documents.
// A broken property prints the input and the reason, then aborts, so libFuzzer saves the input.

/// The checks, in Lua so they go through the same functions scripts call. Returns the two
/// encodings (nil when the input is refused), or nil and what went wrong.
private let checkerSource = #"""
local decode, encode, null = json.decode, json.encode, json.null

local function roundTrip(input, options)
  local ok, value = pcall(decode, input, options)
  if not ok then
    if type(value) ~= "string" or not value:find("json.decode: ", 1, true) then
      return nil, "json.decode raised something other than its own error: " .. tostring(value)
    end
    return nil
  end
  local encoded, text = pcall(encode, value)
  if not encoded then
    return nil, "json.decode accepted the input, json.encode refused the value: " .. tostring(text)
  end
  local decodedAgain, again = pcall(decode, text, options)
  if not decodedAgain then
    return nil, "json.decode refuses what json.encode wrote: " .. tostring(again) .. "\nencoding: " .. text
  end
  local encodedAgain, text2 = pcall(encode, again)
  if not encodedAgain then
    return nil, "json.encode refused a value decoded from its own encoding: " .. tostring(text2)
  end
  if text2 ~= text then
    return nil, "the encoding is not a fixed point:\nfirst:  " .. text .. "\nsecond: " .. text2
  end
  return text
end

return function(input)
  local dropped, problem = roundTrip(input)
  if problem then return nil, problem end
  local kept, keptProblem = roundTrip(input, {nulls = null})
  if keptProblem then return nil, "(object nulls kept) " .. keptProblem end
  if (dropped == nil) ~= (kept == nil) then
    return nil, "json.decode accepts the input in one null mode only"
  end
  return dropped, kept
end
"""#

/// One Lua state for the whole run (creating one per input would measure `luaL_newstate`),
/// with the checker function kept at stack slot 1. libFuzzer calls it from one thread only.
private final class Harness: @unchecked Sendable {
    static let shared = Harness()

    let vm: LuaVM

    init() {
        do {
            vm = try LuaVM()
            try vm.load(Array(checkerSource.utf8), chunkName: "=json-round-trip")
            try vm.call(argumentCount: 0, resultCount: 1)
        } catch {
            FileHandle.standardError.write(Data("json-round-trip: cannot set up the Lua state: \(error)\n".utf8))
            exit(2)
        }
    }

    /// Runs the checks on `input`; returns what went wrong, or nil.
    func check(_ input: UnsafeRawBufferPointer) -> String? {
        let L = vm.state
        lua_settop(L, 1)
        defer { lua_settop(L, 1) }
        lua_pushvalue(L, 1)
        if let base = input.baseAddress {
            _ = lua_pushlstring(L, base.assumingMemoryBound(to: CChar.self), input.count)
        } else {
            _ = lua_pushstring(L, "")
        }
        do {
            try vm.call(argumentCount: 1, resultCount: 2)
        } catch {
            return "the checker itself raised: \(error)"
        }
        if lua_type(L, 2) == LUA_TNIL, lua_type(L, 3) == LUA_TSTRING { return string(at: 3) }
        // The encodings must be JSON to a parser that is not ours.
        for index in Int32(2)...3 where lua_type(L, index) == LUA_TSTRING {
            let text = Data(string(at: index).utf8)
            do {
                _ = try JSONSerialization.jsonObject(with: text, options: [.fragmentsAllowed])
            } catch {
                return "JSONSerialization refuses json.encode's output (\(error)):\n\(string(at: index))"
            }
        }
        return nil
    }

    private func string(at index: Int32) -> String {
        var length = 0
        guard let p = kl_tolstring_raw(vm.state, index, &length) else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: length), as: UTF8.self)
    }
}

/// Called by libFuzzer with each input.
private func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
    if let problem = Harness.shared.check(input) {
        let shown = input.count <= 2000 ? String(decoding: input, as: UTF8.self).debugDescription : "(\(input.count) bytes)"
        FileHandle.standardError.write(Data("json-round-trip: \(problem)\ninput: \(shown)\n".utf8))
        abort()
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { testOneInput($0, $1) })
