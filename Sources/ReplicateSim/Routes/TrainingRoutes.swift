import Foundation
import Hummingbird

extension SimCore {
    func registerTrainingRoutes(on router: Router<BasicRequestContext>) {
        router.post("/v1/models/:owner/:name/versions/:version/trainings") { request, context in
            let model = try self.requireModel(context)
            let id = context.parameters.get("version") ?? ""
            guard let version = model.versions.first(where: { $0.id == id }) else { throw Problem.notFound("Version not found.") }
            guard let trainingInputs = version.trainingInputs else {
                throw Problem.badRequest("This version of \(model.fullName) does not support training.")
            }
            let body = try await request.jsonObject()
            guard let destination = body["destination"]?.string else {
                throw Problem.invalid("- destination: destination is required\n", errors: [.init(type: "required", field: "destination", description: "destination is required")])
            }
            let parts = destination.split(separator: "/")
            guard parts.count == 2, self.state.model(String(parts[0]), String(parts[1])) != nil else {
                throw Problem.trainingDestinationMissing
            }
            guard let input = body["input"]?.object else {
                throw Problem.invalid("- input: input is required\n", errors: [.init(type: "required", field: "input", description: "input is required")])
            }
            let errors = Schema.validate(input, against: trainingInputs)
            if !errors.isEmpty {
                throw Problem.invalid(errors.map { "- input.\($0.field): \($0.description)\n" }.joined(), errors: errors)
            }
            var record = PredictionRecord(id: IDs.prediction(), model: model.fullName, version: version.id, kind: version.kind, input: input)
            record.isTraining = true
            record.destination = destination
            try self.applyWebhook(body, to: &record)
            self.state.insert(record)
            self.lifecycle.start(id: record.id, input: Schema.withDefaults(input, props: trainingInputs))
            guard let buffer = self.state.encodedPrediction(record.id) else { throw Problem.notFound() }
            return jsonResponse(buffer: buffer, status: .created)
        }

        router.get("/v1/trainings") { request, _ in
            let api = self.state.apiBase
            let list = self.state.listPredictions(trainings: true).map { $0.json(api: api) }
            return try Pagination.page(list, request: request, root: self.state.root, pageSize: self.options.pageSize)
        }

        router.get("/v1/trainings/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard let r = self.state.prediction(id), r.isTraining else { throw Problem.notFound() }
            return jsonResponse(buffer: r.encoded)
        }

        router.post("/v1/trainings/:id/cancel") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard let r = self.state.prediction(id), r.isTraining else { throw Problem.notFound() }
            self.lifecycle.finish(id, status: "canceled", error: nil)
            guard let buffer = self.state.encodedPrediction(id) else { throw Problem.notFound() }
            return jsonResponse(buffer: buffer)
        }
    }
}
