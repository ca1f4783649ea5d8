import Foundation
import Hummingbird

extension SimCore {
    func registerMiscRoutes(on router: Router<BasicRequestContext>) {
        router.get("/v1/account") { _, _ in jsonResponse(self.state.account) }

        router.get("/v1/hardware") { _, _ in jsonResponse(ToyModels.hardware) }

        router.get("/v1/webhooks/default/secret") { _, _ in
            jsonResponse(["key": .string(self.state.webhookSecret)])
        }

        router.get("/v1/collections") { request, _ in
            let items: [JSON] = ToyModels.collections.map { ["name": .string($0.name), "slug": .string($0.slug), "description": .string($0.description)] }
            return try Pagination.page(items, request: request, root: self.state.root, pageSize: self.options.pageSize)
        }

        router.get("/v1/collections/:slug") { _, context in
            let slug = context.parameters.get("slug") ?? ""
            guard let c = ToyModels.collections.first(where: { $0.slug == slug }) else { throw Problem.notFound("Collection not found.") }
            let models: [JSON] = c.models.compactMap { full in
                let p = full.split(separator: "/")
                return p.count == 2 ? self.state.model(String(p[0]), String(p[1]))?.json() : nil
            }
            return jsonResponse([
                "name": .string(c.name), "slug": .string(c.slug), "description": .string(c.description),
                "full_description": .string(c.description), "models": .array(models),
            ])
        }

        router.get("/v1/search") { request, _ in
            let q = parseQuery(request.uri.query)
            guard let query = q["query"], !query.trimmingCharacters(in: .whitespaces).isEmpty else {
                return jsonResponse(["detail": "Query parameter \"query\" is required"], status: .badRequest)
            }
            let limit = min(50, max(1, Int(q["limit"] ?? "") ?? 20))
            let needle = query.lowercased()
            let words = needle.split(separator: " ").map(String.init)
            let models = self.state.allModels().compactMap { m -> JSON? in
                let hay = (m.fullName + " " + (m.description ?? "")).lowercased()
                let hits = words.filter { hay.contains($0) }.count
                guard hits > 0 else { return nil }
                return [
                    "model": m.json(),
                    "metadata": ["generated_description": .str(m.description), "score": .double(Double(hits) / Double(max(1, words.count))), "tags": []],
                ]
            }.prefix(limit)
            let collections: [JSON] = ToyModels.collections.filter { c in
                words.contains { (c.name + " " + c.description + " " + c.slug).lowercased().contains($0) }
            }.map { ["name": .string($0.name), "slug": .string($0.slug), "description": .string($0.description), "models": .array($0.models.map(JSON.string))] }
            return jsonResponse(["query": .string(query), "models": .array(Array(models)), "collections": .array(collections), "pages": []])
        }
    }

    func registerSimRoutes(on router: Router<BasicRequestContext>) {
        router.get("/_sim/requests") { _, _ in
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            let data = (try? enc.encode(self.log.all())) ?? Data("[]".utf8)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: data)))
        }
        router.delete("/_sim/requests") { _, _ in
            self.log.clear()
            return Response(status: .noContent)
        }
        router.get("/_sim/files/:prediction/:name") { request, _ in
            guard let f = self.state.served.withLockedValue({ $0[request.uri.path] }) else { throw Problem.notFound("File not found.") }
            return Response(status: .ok, headers: [.contentType: f.contentType], body: .init(byteBuffer: ByteBuffer(data: f.data)))
        }
    }
}
