import Foundation
import Testing

/// Numbers on the command line and in the config file, through the built binary: every one out
/// of its range is refused with an error naming the range (never a trap on a conversion, exit
/// status 132, and never a value so small it rounds to 0, which the limits read as unlimited).
@Suite struct HardeningCommandLineTests {
    /// A flag, its value, and the range the error must name.
    static let limitFlags: [(flag: String, value: String, range: String)] = [
        ("--timeout", "1e11", "between 0.001 and 86400"),
        ("--timeout", "1e300", "between 0.001 and 86400"),
        ("--timeout", "0.0000001", "between 0.001 and 86400"),
        ("--timeout", "nan", "between 0.001 and 86400"),
        ("--timeout", "inf", "between 0.001 and 86400"),
        ("--memory", "1e300", "between 1 and 1048576"),
        ("--memory", "1e-7", "between 1 and 1048576"),
        ("--memory", "0", "between 1 and 1048576"),
        ("--instructions", "1e20", "between 1 and 1000000000000000"),
        ("--instructions", "0.5", "between 1 and 1000000000000000"),
    ]

    @Test(arguments: limitFlags.indices)
    func execJSONRefusesTheNumberInAnEnvelope(_ index: Int) async throws {
        let (flag, value, range) = Self.limitFlags[index]
        let (result, envelope) = try await execJSON("return 1", [flag, value])
        #expect(result.status == 2, "\(flag) \(value): \(result.stdout) \(result.stderr)")
        #expect(envelope["ok"] as? Bool == false)
        #expect(errorKind(envelope) == "usage")
        #expect(errorMessage(envelope).contains("'\(flag)'") && errorMessage(envelope).contains(range),
                "\(flag) \(value): \(errorMessage(envelope))")
    }

    @Test(arguments: limitFlags.indices)
    func theLuaCommandLineRefusesTheNumber(_ index: Int) async throws {
        let (flag, value, range) = Self.limitFlags[index]
        let result = try await kosmo(["--sandbox", flag, value, "-e", "print('ran')"])
        #expect(result.status != 0 && result.status < 128, "\(flag) \(value) ended with \(result.status)")
        #expect(!result.stdout.contains("ran"))
        #expect(result.stderr.contains(range), "\(flag) \(value): \(result.stderr)")
    }

    @Test func execJSONTimeout1e300PrintsOneValidEnvelope() async throws {
        let result = try await kosmo(["exec", "--json", "--timeout", "1e300", "-"], stdin: "return 1")
        #expect(result.status == 2)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["ok"] as? Bool == false)
        #expect(errorMessage(object) == "'--timeout' needs a positive number of seconds, got '1e300' (it must be between 0.001 and 86400)")
        for key in ["result", "output", "output_truncated", "error", "calls", "stats", "permission_bypassed"] {
            #expect(object[key] != nil, "the envelope lacks \(key)")
        }
    }

    @Test func execWithoutJSONRefusesOnStandardError() async throws {
        let result = try await kosmo(["exec", "--memory", "1e300", "-"], stdin: "return 1")
        #expect(result.status == 2)
        #expect(result.stderr.contains("'--memory' needs a positive number of megabytes, got '1e300' (it must be between 1 and 1048576)"))
    }

    @Test func outputLimitAndMaxPredictionsAreBounded() async throws {
        let (_, output) = try await execJSON("return 1", ["--output-limit", "1G"])
        #expect(errorMessage(output).contains("'--output-limit'") && errorMessage(output).contains("between 1 and 16777216"), "\(errorMessage(output))")
        let (_, huge) = try await execJSON("return 1", ["--output-limit", "99999999999999M"])
        #expect(errorMessage(huge).contains("between 1 and 16777216"), "\(errorMessage(huge))")
        let (_, predictions) = try await execJSON("return 1", ["--sim", "--max-predictions", "1e30"])
        #expect(errorMessage(predictions).contains("'--max-predictions' needs a whole number (0 or more), got '1e30' (it must be between 0 and 1000000)"),
                "\(errorMessage(predictions))")
        // In range the flags still work.
        let (_, fine) = try await execJSON("print('abcdef') return 1", ["--output-limit", "3", "--max-predictions", "5", "--memory", "1.5", "--timeout", "0.5"])
        #expect(fine["ok"] as? Bool == true && fine["output"] as? String == "abc", "\(fine)")
    }

    @Test func configFileNumbersAreBounded() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/config.toml"
        for (value, shown) in [("1e300", "1e+300"), ("-3", "-3"), ("2000000", "2000000")] {
            try write("[permissions]\nmax_predictions = \(value)\n", to: path)
            let (result, envelope) = try await execJSON("return 1", environment: ["KOSMO_LUA_CONFIG": path])
            #expect(result.status == 2)
            #expect(errorKind(envelope) == "config")
            #expect(errorMessage(envelope).contains("[permissions] max_predictions' needs a whole number (0 or more), got \(shown) (it must be between 0 and 1000000)"),
                    "\(value): \(errorMessage(envelope))")
        }
    }

    @Test func mcpServerFlagsAreBounded() async throws {
        for (flag, value) in [("--timeout", "1e11"), ("--memory", "1e300"), ("--instructions", "1e20")] {
            let result = try await kosmo(["mcp", flag, value], stdin: "")
            #expect(result.status == 2, "\(flag) \(value) ended with \(result.status)")
            #expect(result.stderr.contains("'\(flag)'") && result.stderr.contains("(it must be between"), "\(result.stderr)")
        }
    }

    @Test func simulatorFlagsAreBounded() async throws {
        let cases: [([String], String)] = [
            (["--speed", "inf"], "'--speed' needs a positive speed-up factor, got infinity (it must be between 0.001 and 1000)"),
            (["--speed", "1e-300"], "between 0.001 and 1000"),
            (["--page-size", "9223372036854775807"], "'--page-size' needs a whole number of items per page"),
            (["--creates-per-minute=-1"], "between 0 and 1000000"),
            (["--requests-per-minute", "99999999999"], "between 0 and 1000000"),
            (["--faults", "latency:1e300s"], "at most 60s"),
            (["--faults", "latency:nan"], "at most 60s"),
        ]
        for (arguments, expected) in cases {
            let result = try await kosmo(["sim"] + arguments, timeout: 10)
            #expect(result.status != 0 && result.status < 128, "\(arguments) ended with \(result.status)")
            #expect(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
        }
    }
}
