import Foundation
import NIOConcurrencyHelpers
import NIOCore

struct FileRecord: Sendable {
    var id, name, contentType: String
    var data: Data
    var metadata: JSON
    var createdAt: Date
    /// Hex digests of `data`.
    var md5, sha256: String

    func json(api: String) -> JSON {
        [
            "id": .string(id), "name": .string(name), "content_type": .string(contentType),
            "size": .int(data.count), "etag": .string(md5),
            "checksums": ["sha256": .string(sha256), "md5": .string(md5)],
            "metadata": metadata,
            "created_at": .string(Timestamp.string(createdAt)),
            "expires_at": .string(Timestamp.string(createdAt.addingTimeInterval(86_400))),
            "urls": ["get": .string("\(api)/files/\(id)")],
        ]
    }
}

struct DeploymentRecord: Sendable {
    var owner, name: String
    /// The model it serves (`owner/name`), at `version`, on `hardware`.
    var model, version, hardware: String
    var minInstances, maxInstances: Int
    /// The release number, counting from 1, and when it was made.
    var release: Int
    var releasedAt: Date

    func json(account: JSON) -> JSON {
        [
            "owner": .string(owner), "name": .string(name),
            "current_release": [
                "number": .int(release), "model": .string(model), "version": .string(version),
                "created_at": .string(Timestamp.string(releasedAt)), "created_by": account,
                "configuration": ["hardware": .string(hardware), "min_instances": .int(minInstances), "max_instances": .int(maxInstances)],
            ],
        ]
    }
}

/// A file the simulator serves itself under `/_sim/files/`, as the service's delivery host does.
struct ServedFile: Sendable {
    var contentType: String
    var data: Data
}

/// All mutable state. Each table has its own lock so that prediction reads (the hot path)
/// never wait behind file uploads or model edits.
final class SimState: Sendable {
    let models: NIOLockedValueBox<[String: ModelRecord]>
    let predictions = NIOLockedValueBox<[String: PredictionRecord]>([:])
    /// Creation order, newest last, for lists (dictionary order is arbitrary).
    let predictionOrder = NIOLockedValueBox<[String]>([])
    let files = NIOLockedValueBox<[String: FileRecord]>([:])
    let fileOrder = NIOLockedValueBox<[String]>([])
    let served = NIOLockedValueBox<[String: ServedFile]>([:])
    let deployments = NIOLockedValueBox<[String: DeploymentRecord]>([:])
    let deploymentOrder = NIOLockedValueBox<[String]>([])
    /// API base URL (`http://127.0.0.1:PORT/v1`), known once bound.
    let api = NIOLockedValueBox<String>("http://127.0.0.1/v1")
    let modelOrder: NIOLockedValueBox<[String]>

    let username = "sim"
    let webhookSecret: String

    init() {
        let catalog = ToyModels.catalog()
        models = NIOLockedValueBox(Dictionary(catalog.map { ($0.fullName, $0) }, uniquingKeysWith: { a, _ in a }))
        modelOrder = NIOLockedValueBox(catalog.map(\.fullName))
        var g = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in UInt8.random(in: 0...255, using: &g) }
        webhookSecret = "whsec_" + Data(key).base64EncodedString()
    }

    var apiBase: String { api.withLockedValue { $0 } }
    /// Host root (`http://127.0.0.1:PORT`).
    var root: String {
        let a = apiBase
        return a.hasSuffix("/v1") ? String(a.dropLast(3)) : a
    }

    var account: JSON {
        ["type": "user", "username": .string(username), "name": "Simulator User", "github_url": .null, "avatar_url": .null]
    }

    // MARK: predictions

    func insert(_ record: PredictionRecord) {
        var r = record
        r.encoded = r.json(api: apiBase).byteBuffer()
        predictions.withLockedValue { $0[r.id] = r }
        predictionOrder.withLockedValue { $0.append(r.id) }
    }

    func prediction(_ id: String) -> PredictionRecord? { predictions.withLockedValue { $0[id] } }

    func encodedPrediction(_ id: String) -> ByteBuffer? { predictions.withLockedValue { $0[id]?.encoded } }

    /// Applies `change` unless the record is gone; returns the new record.
    @discardableResult
    func update(_ id: String, _ change: (inout PredictionRecord) -> Void) -> PredictionRecord? {
        let api = apiBase
        return predictions.withLockedValue { table -> PredictionRecord? in
            guard var r = table[id] else { return nil }
            change(&r)
            r.encoded = r.json(api: api).byteBuffer()
            table[id] = r
            return r
        }
    }

    func listPredictions(trainings: Bool) -> [PredictionRecord] {
        let order = predictionOrder.withLockedValue { $0 }
        return predictions.withLockedValue { table in
            order.reversed().compactMap { table[$0] }.filter { $0.isTraining == trainings }
        }
    }

    // MARK: models

    func model(_ owner: String, _ name: String) -> ModelRecord? { models.withLockedValue { $0["\(owner)/\(name)"] } }

    /// Finds a version by id across all models (for `POST /predictions` with a bare id).
    func version(id: String) -> (ModelRecord, VersionRecord)? {
        models.withLockedValue { table in
            for m in table.values {
                if let v = m.versions.first(where: { $0.id == id }) { return (m, v) }
            }
            return nil
        }
    }

    func allModels() -> [ModelRecord] {
        let order = modelOrder.withLockedValue { $0 }
        return models.withLockedValue { t in order.compactMap { t[$0] } }
    }
}
