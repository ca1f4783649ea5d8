import Foundation
import Hummingbird

extension SimCore {
    func registerDeploymentRoutes(on router: Router<BasicRequestContext>) {
        router.post("/v1/deployments") { request, _ in
            let body = try await request.jsonObject()
            var errors: [ValidationError] = []
            for f in ["name", "model", "version", "hardware"] where body[f]?.string == nil {
                errors.append(.init(type: "required", field: f, description: "\(f) is required"))
            }
            for f in ["min_instances", "max_instances"] where body[f]?.int == nil {
                errors.append(.init(type: "required", field: f, description: "\(f) is required"))
            }
            errors += Self.instanceErrors(min: body["min_instances"]?.int, max: body["max_instances"]?.int)
            if !errors.isEmpty { throw Problem.invalid(errors.map { "- \($0.field): \($0.description)\n" }.joined(), errors: errors) }
            let name = body["name"]?.string ?? "", modelName = body["model"]?.string ?? "", versionID = body["version"]?.string ?? ""
            guard Self.validName(name) else { throw Problem.invalid("- name: invalid deployment name\n") }
            let (model, version) = try self.resolveVersion("\(modelName):\(versionID)")
            try self.checkHardware(body["hardware"]?.string)
            let key = "\(self.state.username)/\(name)"
            let d = DeploymentRecord(
                owner: self.state.username, name: name, model: model.fullName, version: version.id,
                hardware: body["hardware"]?.string ?? "cpu", minInstances: body["min_instances"]?.int ?? 0,
                maxInstances: body["max_instances"]?.int ?? 1, release: 1, releasedAt: Date())
            let inserted = self.state.deployments.withLockedValue { t -> Bool in
                if t[key] != nil { return false }
                t[key] = d
                return true
            }
            guard inserted else { throw Problem(status: .conflict, title: "Conflict", detail: "A deployment named \(name) already exists.") }
            self.state.deploymentOrder.withLockedValue { $0.append(key) }
            return jsonResponse(d.json(account: self.state.account))
        }

        router.get("/v1/deployments") { request, _ in
            let order = self.state.deploymentOrder.withLockedValue { $0 }
            let list = self.state.deployments.withLockedValue { t in order.compactMap { t[$0] } }
            return try Pagination.page(list.map { $0.json(account: self.state.account) }, request: request, root: self.state.root, pageSize: self.options.pageSize)
        }

        router.get("/v1/deployments/:owner/:name") { _, context in
            try jsonResponse(self.requireDeployment(context).json(account: self.state.account))
        }

        // Any change makes a new release, as on the service.
        router.patch("/v1/deployments/:owner/:name") { request, context in
            let d = try self.requireDeployment(context)
            let body = try await request.jsonObject()
            var next = d
            if let h = body["hardware"] {
                try self.checkHardware(h.string)
                next.hardware = h.string ?? d.hardware
            }
            if let v = body["min_instances"] { next.minInstances = v.int ?? -1 }
            if let v = body["max_instances"] { next.maxInstances = v.int ?? -1 }
            let errors = Self.instanceErrors(min: next.minInstances, max: next.maxInstances)
            if !errors.isEmpty { throw Problem.invalid(errors.map { "- \($0.field): \($0.description)\n" }.joined(), errors: errors) }
            if let v = body["version"] {
                guard let id = v.string else { throw Problem.invalid("- version: must be a string\n") }
                let (_, version) = try self.resolveVersion("\(d.model):\(id)")
                next.version = version.id
            }
            guard body.keys.contains(where: { ["hardware", "min_instances", "max_instances", "version"].contains($0) }) else {
                throw Problem.invalid("- body: at least one of hardware, min_instances, max_instances, version is required\n")
            }
            next.release += 1
            next.releasedAt = Date()
            let key = "\(d.owner)/\(d.name)"
            self.state.deployments.withLockedValue { $0[key] = next }
            return jsonResponse(next.json(account: self.state.account))
        }

        router.delete("/v1/deployments/:owner/:name") { _, context in
            let d = try self.requireDeployment(context)
            let key = "\(d.owner)/\(d.name)"
            self.state.deployments.withLockedValue { _ = $0.removeValue(forKey: key) }
            self.state.deploymentOrder.withLockedValue { $0.removeAll { $0 == key } }
            return Response(status: .noContent)
        }

        router.post("/v1/deployments/:owner/:name/predictions") { request, context in
            let d = try self.requireDeployment(context)
            let (model, version) = try self.resolveVersion("\(d.model):\(d.version)")
            let body = try await request.jsonObject()
            return try await self.createPrediction(request: request, body: body, model: model, version: version, deployment: "\(d.owner)/\(d.name)")
        }
    }

    func requireDeployment(_ context: BasicRequestContext) throws -> DeploymentRecord {
        let key = "\(context.parameters.get("owner") ?? "")/\(context.parameters.get("name") ?? "")"
        guard let d = state.deployments.withLockedValue({ $0[key] }) else { throw Problem.notFound("Deployment not found.") }
        return d
    }

    func checkHardware(_ sku: String?) throws {
        let skus = (ToyModels.hardware.array ?? []).compactMap { $0["sku"]?.string }
        guard let sku, skus.contains(sku) else {
            throw Problem.invalid("- hardware: hardware must be one of: \(skus.joined(separator: ", "))\n")
        }
    }

    static func instanceErrors(min: Int?, max: Int?) -> [ValidationError] {
        var e: [ValidationError] = []
        if let min, !(0...5).contains(min) { e.append(.init(type: "range", field: "min_instances", description: "min_instances must be between 0 and 5")) }
        if let max, !(0...20).contains(max) { e.append(.init(type: "range", field: "max_instances", description: "max_instances must be between 0 and 20")) }
        if let min, let max, min > max { e.append(.init(type: "range", field: "max_instances", description: "max_instances must be at least min_instances")) }
        return e
    }
}
