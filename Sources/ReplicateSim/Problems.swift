import Foundation
import Hummingbird

/// RFC 7807 problem documents shaped like the recorded ones: `{"title","detail","status"}`
/// (the recorded 404 for a missing training destination has no title, so title is optional).
struct Problem: Error, Sendable {
    var status: HTTPResponse.Status
    var title: String?
    var detail: String
    var extra: [String: JSON] = [:]
    var headers: HTTPFields = [:]

    func response() -> Response {
        var body: [String: JSON] = extra
        if let title { body["title"] = .string(title) }
        body["detail"] = .string(detail)
        body["status"] = .int(status.code)
        var h = headers
        h[.contentType] = "application/problem+json"
        return Response(status: status, headers: h, body: .init(byteBuffer: JSON.object(body).byteBuffer()))
    }

    static let unauthenticated = Problem(
        status: .unauthorized, title: "Unauthenticated", detail: "You did not pass a valid authentication token")
    static func notFound(_ detail: String = "Not found.") -> Problem {
        Problem(status: .notFound, title: "Not found", detail: detail)
    }
    static func badRequest(_ detail: String) -> Problem {
        Problem(status: .badRequest, title: "Bad request", detail: detail)
    }
    static func invalid(_ detail: String, errors: [ValidationError] = []) -> Problem {
        var p = Problem(status: .unprocessableContent, title: "Input validation failed", detail: detail)
        if !errors.isEmpty {
            p.extra["invalid_fields"] = .array(errors.map { ["type": .string($0.type), "field": .string($0.field), "description": .string($0.description)] })
        }
        return p
    }
    static let trainingDestinationMissing = Problem(
        status: .notFound, title: nil, detail: "The specified training destination does not exist")
}

/// JSON responses with the status codes the service uses.
func jsonResponse(_ value: JSON, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
    var h = headers
    h[.contentType] = "application/json"
    return Response(status: status, headers: h, body: .init(byteBuffer: value.byteBuffer()))
}

func jsonResponse(buffer: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
}

/// `HTTPField.Name` without importing HTTPTypes directly (Hummingbird re-exports only `HTTPFields`).
typealias FieldName = HTTPFields.Element.Name

extension FieldName {
    static let prefer = FieldName("Prefer") ?? .accept
}
