import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
@testable import ReplicateSim

/// An HTTP answer from the simulator.
struct Reply {
    var status: Int
    var headers: HTTPHeaders
    var body: Data

    var json: JSON? { JSON.parse(body) }
    var text: String { String(decoding: body, as: UTF8.self) }
    subscript(key: String) -> JSON? { json?[key] }
}

let testToken = "r8_test_token"

/// Starts a simulator on a free loopback port, runs `body`, always shuts it down.
func withSim<T>(_ configure: (inout SimulatorOptions) -> Void = { _ in }, _ body: (Simulator) async throws -> T) async throws -> T {
    var options = SimulatorOptions()
    options.speed = 20
    configure(&options)
    return try await Simulator.withRunning(options, body)
}

extension Simulator {
    /// `http://127.0.0.1:PORT` (no `/v1`).
    var root: String { String(baseURL.absoluteString.dropLast(3)) }

    /// Sends a request; `path` is relative to the host root (`/v1/...`) or an absolute URL.
    func call(
        _ method: String, _ path: String, json: JSON? = nil, body: Data? = nil,
        headers: [String: String] = [:], token: String? = testToken, timeout: Int64 = 30
    ) async throws -> Reply {
        let url = path.hasPrefix("http") ? path : root + path
        var req = HTTPClientRequest(url: url)
        req.method = HTTPMethod(rawValue: method)
        if let token { req.headers.add(name: "authorization", value: "Bearer \(token)") }
        for (k, v) in headers { req.headers.add(name: k, value: v) }
        if let json {
            req.headers.add(name: "content-type", value: "application/json")
            req.body = .bytes(ByteBuffer(data: json.encoded()))
        } else if let body {
            req.body = .bytes(ByteBuffer(data: body))
        }
        let res = try await HTTPClient.shared.execute(req, timeout: .seconds(timeout))
        let bytes = try await res.body.collect(upTo: 64 << 20)
        return Reply(status: Int(res.status.code), headers: res.headers, body: Data(bytes.readableBytesView))
    }

    /// Polls until the prediction (or training) is terminal; bounded by `seconds`.
    func waitTerminal(_ url: String, seconds: Double = 20) async throws -> Reply {
        let end = Date().addingTimeInterval(seconds)
        var last = try await call("GET", url)
        while Date() < end {
            if let s = last["status"]?.string, ["succeeded", "failed", "canceled", "aborted"].contains(s) { return last }
            try await Task.sleep(nanoseconds: 20_000_000)
            last = try await call("GET", url)
        }
        return last
    }
}

func fixtureURL(_ relative: String) -> URL? {
    Bundle.module.url(forResource: relative, withExtension: nil, subdirectory: nil)
        ?? Bundle.module.resourceURL?.appendingPathComponent(relative)
}
