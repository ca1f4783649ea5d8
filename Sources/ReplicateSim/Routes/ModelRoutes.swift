import Foundation
import Hummingbird

extension SimCore {
    func registerModelRoutes(on router: Router<BasicRequestContext>) {
        router.get("/v1/models") { request, _ in
            let q = parseQuery(request.uri.query)
            var models = self.state.allModels()
            let sortBy = q["sort_by"] ?? "latest_version_created_at"
            guard ["model_created_at", "latest_version_created_at"].contains(sortBy) else {
                throw Problem.badRequest("sort_by must be model_created_at or latest_version_created_at.")
            }
            let direction = q["sort_direction"] ?? "desc"
            guard ["asc", "desc"].contains(direction) else { throw Problem.badRequest("sort_direction must be asc or desc.") }
            func key(_ m: ModelRecord) -> Date { sortBy == "model_created_at" ? m.createdAt : (m.versions.first?.createdAt ?? m.createdAt) }
            models = models.enumerated().sorted { a, b in
                let (ka, kb) = (key(a.element), key(b.element))
                if ka == kb { return direction == "desc" ? a.offset > b.offset : a.offset < b.offset }
                return direction == "desc" ? ka > kb : ka < kb
            }.map(\.element)
            return try Pagination.page(models.map { $0.json() }, request: request, root: self.state.root, pageSize: self.options.pageSize)
        }

        // QUERY /v1/models: search with a text/plain body (a non-standard HTTP method).
        router.on("/v1/models", method: HTTPRequest.Method("QUERY")!) { request, _ in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            let text = String(buffer: buffer).trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            let models = self.state.allModels().filter { m in
                text.isEmpty || m.fullName.lowercased().contains(text) || (m.description ?? "").lowercased().contains(text)
            }
            return try Pagination.page(models.map { $0.json() }, request: request, root: self.state.root, pageSize: self.options.pageSize)
        }

        router.post("/v1/models") { request, _ in
            let body = try await request.jsonObject()
            var errors: [ValidationError] = []
            for field in ["owner", "name", "visibility", "hardware"] where body[field]?.string == nil {
                errors.append(.init(type: "required", field: field, description: "\(field) is required"))
            }
            if let v = body["visibility"]?.string, !["public", "private"].contains(v) {
                errors.append(.init(type: "enum", field: "visibility", description: "visibility must be one of the following: \"public\", \"private\""))
            }
            let skus = (ToyModels.hardware.array ?? []).compactMap { $0["sku"]?.string }
            if let h = body["hardware"]?.string, !skus.contains(h) {
                errors.append(.init(type: "enum", field: "hardware", description: "hardware must be one of: \(skus.joined(separator: ", "))"))
            }
            if !errors.isEmpty {
                throw Problem.invalid(errors.map { "- \($0.field): \($0.description)\n" }.joined(), errors: errors)
            }
            let owner = body["owner"]?.string ?? "", name = body["name"]?.string ?? ""
            guard Self.validName(owner), Self.validName(name) else {
                throw Problem.invalid("- name: names may contain only lowercase letters, digits, dashes, underscores and periods\n")
            }
            var model = ModelRecord(owner: owner, name: name, description: body["description"]?.string)
            model.visibility = body["visibility"]?.string ?? "private"
            model.hardware = body["hardware"]?.string ?? "cpu"
            model.githubURL = body["github_url"]?.string
            model.paperURL = body["paper_url"]?.string
            model.licenseURL = body["license_url"]?.string
            model.coverImageURL = body["cover_image_url"]?.string
            let inserted = self.state.models.withLockedValue { t -> Bool in
                if t[model.fullName] != nil { return false }
                t[model.fullName] = model
                return true
            }
            guard inserted else { throw Problem(status: .conflict, title: "Conflict", detail: "A model with that name and owner already exists.") }
            self.state.modelOrder.withLockedValue { $0.append(model.fullName) }
            return jsonResponse(model.json(), status: .created)
        }

        router.get("/v1/models/:owner/:name") { _, context in
            try jsonResponse(self.requireModel(context).json())
        }

        router.patch("/v1/models/:owner/:name") { request, context in
            let model = try self.requireModel(context)
            let body = try await request.jsonObject()
            let updated = self.state.models.withLockedValue { t -> ModelRecord? in
                guard var m = t[model.fullName] else { return nil }
                if let v = body["description"] { m.description = v.string }
                if let v = body["github_url"] { m.githubURL = v.string }
                if let v = body["license_url"] { m.licenseURL = v.string }
                if let v = body["paper_url"] { m.paperURL = v.string }
                if let v = body["readme"] { m.readme = v.string }
                if let v = body["weights_url"] { m.weightsURL = v.string }
                t[model.fullName] = m
                return m
            }
            guard let updated else { throw Problem.notFound() }
            return jsonResponse(updated.json())
        }

        router.delete("/v1/models/:owner/:name") { _, context in
            let model = try self.requireModel(context)
            // The service only deletes models without versions.
            guard model.versions.isEmpty else {
                throw Problem(status: .conflict, title: "Conflict", detail: "Cannot delete a model that has versions. Delete its versions first.")
            }
            self.state.models.withLockedValue { _ = $0.removeValue(forKey: model.fullName) }
            self.state.modelOrder.withLockedValue { $0.removeAll { $0 == model.fullName } }
            return Response(status: .noContent)
        }

        router.get("/v1/models/:owner/:name/readme") { _, context in
            let model = try self.requireModel(context)
            guard let readme = model.readme else { throw Problem.notFound("This model has no README.") }
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: readme)))
        }

        router.get("/v1/models/:owner/:name/examples") { request, context in
            let model = try self.requireModel(context)
            let api = self.state.apiBase
            let examples = self.state.listPredictions(trainings: false)
                .filter { $0.model == model.fullName && $0.status == "succeeded" }
                .map { $0.json(api: api) }
            return try Pagination.page(examples, request: request, root: self.state.root, pageSize: self.options.pageSize)
        }

        router.get("/v1/models/:owner/:name/versions") { request, context in
            let model = try self.requireModel(context)
            return try Pagination.page(model.versions.map { $0.json() }, request: request, root: self.state.root, pageSize: self.options.pageSize)
        }

        router.get("/v1/models/:owner/:name/versions/:version") { _, context in
            let model = try self.requireModel(context)
            let id = context.parameters.get("version") ?? ""
            guard let v = model.versions.first(where: { $0.id == id }) else { throw Problem.notFound("Version not found.") }
            return jsonResponse(v.json())
        }

        router.delete("/v1/models/:owner/:name/versions/:version") { _, context in
            let model = try self.requireModel(context)
            let id = context.parameters.get("version") ?? ""
            let removed = self.state.models.withLockedValue { t -> Bool in
                guard let i = t[model.fullName]?.versions.firstIndex(where: { $0.id == id }) else { return false }
                t[model.fullName]?.versions.remove(at: i)
                return true
            }
            guard removed else { throw Problem.notFound("Version not found.") }
            return Response(status: .accepted)
        }
    }

    func requireModel(_ context: BasicRequestContext) throws -> ModelRecord {
        let owner = context.parameters.get("owner") ?? "", name = context.parameters.get("name") ?? ""
        guard let m = state.model(owner, name) else { throw Problem.notFound("Model not found.") }
        return m
    }

    static func validName(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 100 && s.allSatisfy { $0.isLowercase || $0.isNumber || "-_.".contains($0) } && s.allSatisfy(\.isASCII)
    }
}
