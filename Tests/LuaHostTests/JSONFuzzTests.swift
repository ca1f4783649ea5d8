import Foundation
import Testing
import TestSupport
@testable import LuaHost

/// Fuzzing: long seeded property tests over `json.decode` / `json.encode`.
///
/// `make test` runs a short run; `make stress` sets `KOSMO_FUZZ_ITERATIONS` (documents per
/// property) and `KOSMO_FUZZ_SEED`, and each test prints what it covered. A failure prints the
/// seed and the document, so it can be replayed.
enum Fuzz {
    static var iterations: Int {
        ProcessInfo.processInfo.environment["KOSMO_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 1500
    }
    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["KOSMO_FUZZ_SEED"].flatMap(UInt64.init) ?? 20261122
    }
}

/// A random JSON document, written as JSON text (with random whitespace and random choices of
/// escapes) and as a Lua expression for the value `json.decode` must give (docs/architecture.md, "Values":
/// null members left out, arrays marked, `json.null` in arrays, integer and float subtypes).
struct JSONCase {
    var text = ""
    var lua = ""
}

struct JSONDocumentGenerator {
    var rng: SeededGenerator

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }

    mutating func space() -> String {
        guard chance(0.3) else { return "" }
        return String((0..<int(1...3)).map { _ in [" ", "\t", "\n", "\r"][int(0...3)] })
    }

    /// Lua's decimal escapes for every byte: any byte string, exactly.
    static func luaString(_ s: String) -> String {
        "\"" + s.utf8.map { "\\\($0)" }.joined() + "\""
    }

    mutating func scalarString() -> String {
        let length = chance(0.1) ? int(50...300) : int(0...12)
        var s = ""
        for _ in 0..<length {
            switch int(0...9) {
            case 0: s.unicodeScalars.append(Unicode.Scalar(UInt8(int(0...31))))  // control characters
            case 1: s += ["\"", "\\", "/"][int(0...2)]
            case 2: s.unicodeScalars.append(Unicode.Scalar(UInt32(int(0x80...0x7FF)))!)
            case 3: s.unicodeScalars.append(Unicode.Scalar(UInt32(int(0xE000...0xFFFD)))!)
            case 4: s.unicodeScalars.append(Unicode.Scalar(UInt32(int(0x10000...0x10FFFF)))!)
            case 5: s.unicodeScalars.append(Unicode.Scalar(UInt32(int(0x800...0xD7FF)))!)
            default: s.unicodeScalars.append(Unicode.Scalar(UInt8(int(0x20...0x7E))))
            }
        }
        return s
    }

    /// JSON text for `s`, escaping what must be escaped and, at random, what may be.
    mutating func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            let v = scalar.value
            let mustEscape = v < 0x20 || scalar == "\"" || scalar == "\\"
            if mustEscape || chance(0.15) {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "/" where chance(0.5): out += "\\/"
                case "\u{8}" where chance(0.5): out += "\\b"
                case "\u{C}" where chance(0.5): out += "\\f"
                case "\n" where chance(0.5): out += "\\n"
                case "\r" where chance(0.5): out += "\\r"
                case "\t" where chance(0.5): out += "\\t"
                default:
                    if v > 0xFFFF {
                        let u = v - 0x10000
                        out += String(format: chance(0.5) ? "\\u%04X\\u%04X" : "\\u%04x\\u%04x", 0xD800 + (u >> 10), 0xDC00 + (u & 0x3FF))
                    } else {
                        out += String(format: chance(0.5) ? "\\u%04X" : "\\u%04x", v)
                    }
                }
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    mutating func number() -> (String, String) {
        switch int(0...9) {
        case 0:
            let v = [Int64.max, Int64.min, 0, -1, 9_007_199_254_740_993][int(0...4)]
            return (String(v), v == Int64.min ? "math.mininteger" : String(v))
        case 1, 2, 3:
            let v = Int64.random(in: -1_000_000...1_000_000, using: &rng)
            return (String(v), String(v))
        case 4:
            let v = Int64.random(in: Int64.min / 2...Int64.max / 2, using: &rng)
            return (String(v), String(v))
        case 5:
            // Exponent forms are floats in Lua even when whole.
            let mantissa = int(1...999), exponent = int(0...20)
            let text = "\(mantissa)\(["e", "E", "e+", "E+"][int(0...3)])\(exponent)"
            return (text, "(\(mantissa) * 10.0^\(exponent))")
        default:
            var d = Double.random(in: -1...1, using: &rng) * pow(10, Double(int(-30...30)))
            if chance(0.1) { d = Double(int(-1000...1000)) }  // whole floats: 3.0 stays a float
            var text = "\(d)"
            if !text.contains(".") && !text.contains("e") { text += ".0" }
            // Lua reads Swift's shortest round-trip form back to the same double.
            return (text, "(\(text))")
        }
    }

    mutating func value(depth: Int) -> JSONCase {
        let kind = depth > 5 ? int(0...4) : int(0...7)
        switch kind {
        case 0: return JSONCase(text: "true", lua: "true")
        case 1: return JSONCase(text: "false", lua: "false")
        case 2, 3:
            let (t, l) = number()
            return JSONCase(text: t, lua: l)
        case 4:
            let s = scalarString()
            return JSONCase(text: jsonString(s), lua: Self.luaString(s))
        case 5, 6: return object(depth: depth + 1)
        default: return array(depth: depth + 1)
        }
    }

    mutating func array(depth: Int) -> JSONCase {
        var texts: [String] = [], luas: [String] = []
        for _ in 0..<(chance(0.1) ? 0 : int(1...6)) {
            if chance(0.1) {
                texts.append("null")
                luas.append("N")
            } else {
                let v = value(depth: depth)
                texts.append(v.text)
                luas.append(v.lua)
            }
        }
        let text = "[" + space() + texts.map { $0 + space() }.joined(separator: "," + space()) + "]"
        return JSONCase(text: text, lua: "A{" + luas.joined(separator: ", ") + "}")
    }

    mutating func object(depth: Int) -> JSONCase {
        var texts: [String] = [], luas: [String] = []
        var keys = Set<String>()
        for _ in 0..<(chance(0.1) ? 0 : int(1...6)) {
            let key = scalarString()
            guard keys.insert(key).inserted else { continue }
            let keyText = jsonString(key)
            if chance(0.1) {
                texts.append(keyText + space() + ":" + space() + "null")  // left out when decoded
            } else {
                let v = value(depth: depth)
                texts.append(keyText + space() + ":" + space() + v.text)
                luas.append("[" + Self.luaString(key) + "] = " + v.lua)
            }
        }
        let text = "{" + space() + texts.map { $0 + space() }.joined(separator: "," + space()) + "}"
        return JSONCase(text: text, lua: "{" + luas.joined(separator: ", ") + "}")
    }

    mutating func document() -> JSONCase {
        let v = chance(0.5) ? object(depth: 0) : array(depth: 0)
        return JSONCase(text: space() + v.text + space(), lua: v.lua)
    }

    /// `text` damaged the way a bad network or a bad server damages JSON.
    mutating func damage(_ text: String) -> [UInt8] {
        var bytes = Array(text.utf8)
        for _ in 0..<int(1...3) {
            guard !bytes.isEmpty else { break }
            switch int(0...4) {
            case 0: bytes = Array(bytes.prefix(int(0...bytes.count - 1)))  // truncated
            case 1: bytes[int(0...bytes.count - 1)] = UInt8(int(0...255))  // a byte changed
            case 2: bytes.insert(UInt8(int(0...255)), at: int(0...bytes.count))  // a byte added
            case 3: bytes.remove(at: int(0...bytes.count - 1))  // a byte lost
            default: bytes.insert(contentsOf: [UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: "\""), 0xC3, 0x28, 0xFF][int(0...5)...].prefix(2), at: int(0...bytes.count))
            }
        }
        return bytes
    }
}

/// Lua shared by the batches: `eq(a, b)` compares values exactly (subtypes, array marks),
/// `check(i, text, expected)` runs the round trip and records what went wrong.
private let luaHarness = """
    local A, N = json.array, json.null
    \(LuaSnippets.deepEqual)
    local failures = {}
    local function check(i, text, expected)
      local ok, v = pcall(json.decode, text)
      if not ok then failures[#failures + 1] = i .. ": decode failed: " .. tostring(v); return end
      if not eq(v, expected) then failures[#failures + 1] = i .. ": decoded value differs"; return end
      local ok2, encoded = pcall(json.encode, v)
      if not ok2 then failures[#failures + 1] = i .. ": encode failed: " .. tostring(encoded); return end
      local back = json.decode(encoded)
      if not eq(back, expected) then failures[#failures + 1] = i .. ": round trip differs: " .. encoded; return end
      if json.encode(back) ~= encoded then failures[#failures + 1] = i .. ": encode is not stable" end
    end

    """

@Suite("Fuzz: JSON ⇄ Lua")
struct JSONFuzzTests {
    /// Runs `code` in a fresh standard VM and returns its first result as text.
    func runBatch(_ code: String) async throws -> String {
        text(try await run(code)) ?? ""
    }

    @Test("JSON → Lua → JSON: random documents decode to the expected values and round-trip exactly")
    func decodeEncodeRoundTrip() async throws {
        var generator = JSONDocumentGenerator(rng: SeededGenerator(seed: Fuzz.seed))
        let total = Fuzz.iterations
        let started = Date()
        var done = 0, bytes = 0
        while done < total {
            let batch = (0..<min(200, total - done)).map { _ in generator.document() }
            var code = luaHarness
            for (i, c) in batch.enumerated() {
                code += "check(\(done + i + 1), \(JSONDocumentGenerator.luaString(c.text)), \(c.lua))\n"
                bytes += c.text.utf8.count
            }
            code += "return table.concat(failures, '\\n')"
            let failures = try await runBatch(code)
            #expect(failures.isEmpty, "seed \(Fuzz.seed):\n\(failures.prefix(2000))")
            if !failures.isEmpty {
                let first = Int(failures.prefix { $0 != ":" }) ?? 0
                if first > done, first <= done + batch.count { print("document \(first): \(batch[first - done - 1].text)") }
                break
            }
            done += batch.count
        }
        print("fuzz json round trip: \(done) documents, \(bytes) bytes, seed \(Fuzz.seed), \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }

    @Test("Damaged JSON: json.decode returns a value or raises a clean error, never anything else")
    func damagedDocuments() async throws {
        var generator = JSONDocumentGenerator(rng: SeededGenerator(seed: Fuzz.seed &+ 1))
        let total = Fuzz.iterations
        let started = Date()
        var done = 0, errors = 0
        while done < total {
            var code = """
                local errors, bad = 0, {}
                local function try(i, s)
                  local ok, e = pcall(json.decode, s)
                  if not ok then
                    errors = errors + 1
                    if type(e) ~= "string" or not e:find("json.decode", 1, true) then bad[#bad + 1] = i .. ": " .. tostring(e) end
                  end
                end

                """
            let count = min(200, total - done)
            for i in 0..<count {
                let damaged = generator.damage(generator.document().text)
                code += "try(\(done + i + 1), \"" + damaged.map { "\\\($0)" }.joined() + "\")\n"
            }
            code += "return errors .. '\\n' .. table.concat(bad, '\\n')"
            let result = try await runBatch(code)
            let lines = result.split(separator: "\n", omittingEmptySubsequences: false)
            errors += Int(lines.first ?? "") ?? 0
            let bad = lines.dropFirst().joined(separator: "\n")
            #expect(bad.isEmpty, "seed \(Fuzz.seed &+ 1): errors that are not clean json.decode errors:\n\(bad.prefix(2000))")
            if !bad.isEmpty { break }
            done += count
        }
        // Most damage breaks a document; some (a changed digit) leaves it valid.
        #expect(errors > done / 2, "\(errors) of \(done) damaged documents were refused")
        print("fuzz json damaged: \(done) documents, \(errors) refused with a clean error, seed \(Fuzz.seed &+ 1), \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }

    @Test("Lua → JSON → Lua: random Lua values encode when they can, and come back equal")
    func encodeDecodeRoundTrip() async throws {
        let total = Fuzz.iterations
        let started = Date()
        let result = try await runBatch(luaHarness + """
            math.randomseed(\(Fuzz.seed % 1_000_000_007))
            local R = math.random
            local function bytes(n)
              local t = {}
              for i = 1, n do
                local k = R(1, 10)
                if k <= 6 then t[i] = string.char(R(32, 126))
                elseif k <= 8 then t[i] = utf8.char(R(1, 2) == 1 and R(0x80, 0xD7FF) or R(0xE000, 0x10FFFF))
                elseif k == 9 then t[i] = string.char(R(0, 31))
                else t[i] = string.char(R(128, 255)) end   -- may make the string invalid UTF-8
              end
              return table.concat(t)
            end
            -- Returns a value and whether json.encode must accept it.
            local function gen(depth)
              local k = depth > 4 and R(1, 5) or R(1, 8)
              if k == 1 then return R(0, 1) == 1, true
              elseif k == 2 then return R(math.mininteger, math.maxinteger), true
              elseif k == 3 then
                local x = (R() - 0.5) * 10.0 ^ R(-20, 20)
                if R(1, 40) == 1 then return 0/0, false end
                if R(1, 40) == 1 then return 1/0, false end
                return x, true
              elseif k <= 5 then
                local s = bytes(R(0, 10))
                return s, utf8.len(s) ~= nil
              elseif k <= 7 then
                local t, ok = {}, true
                for i = 1, R(1, 5) do
                  local v, vok
                  if R(1, 8) == 1 then v, vok = json.null, true else v, vok = gen(depth + 1) end
                  t[i] = v; ok = ok and vok
                end
                if R(1, 25) == 1 then t.extra = 1; ok = false end   -- a mixed table
                return t, ok
              else
                local t, ok = {}, true
                for _ = 1, R(0, 5) do
                  local key = bytes(R(1, 6))
                  local v, vok = gen(depth + 1)
                  -- A repeated key would overwrite the value whose validity was counted.
                  if t[key] == nil then t[key] = v; ok = ok and vok and utf8.len(key) ~= nil end
                end
                return t, ok
              end
            end
            -- json.decode marks arrays and makes {} an object; compare ignoring the mark on the
            -- original side, where plain sequences stand for arrays.
            local function same(a, b)
              if type(a) ~= type(b) then return false end
              if type(a) == "number" then return math.type(a) == math.type(b) and a == b end
              if type(a) ~= "table" then return a == b end
              for k, v in pairs(a) do if not same(v, b[k]) then return false end end
              for k in pairs(b) do if a[k] == nil then return false end end
              return true
            end
            local encoded, refused, wrong = 0, 0, {}
            for i = 1, \(total) do
              local v, valid = gen(0)
              local ok, text = pcall(json.encode, v)
              if ok ~= valid then
                wrong[#wrong + 1] = i .. ": encode " .. (ok and "accepted " .. text or "refused: " .. tostring(text))
              elseif ok then
                encoded = encoded + 1
                if not same(v, json.decode(text)) then wrong[#wrong + 1] = i .. ": round trip differs: " .. text end
              else
                refused = refused + 1
                if type(text) ~= "string" then wrong[#wrong + 1] = i .. ": error is not a string" end
              end
            end
            return encoded .. " " .. refused .. "\\n" .. table.concat(wrong, "\\n")
            """)
        let lines = result.split(separator: "\n", omittingEmptySubsequences: false)
        let counts = (lines.first ?? "").split(separator: " ").compactMap { Int($0) }
        let wrong = lines.dropFirst().joined(separator: "\n")
        #expect(wrong.isEmpty, "seed \(Fuzz.seed):\n\(wrong.prefix(2000))")
        #expect(counts.count == 2 && counts[0] > total / 4 && counts[1] > total / 20, "encoded/refused: \(counts)")
        print("fuzz lua→json: \(total) values, \(counts.first ?? 0) encoded, \(counts.last ?? 0) refused cleanly, seed \(Fuzz.seed), \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }
}
