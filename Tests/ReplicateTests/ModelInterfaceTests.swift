import Foundation
import Testing

@testable import Replicate

/// A model's interface read from the schema Cog publishes (a recorded SDXL version, and
/// hand-written old and new schemas), and the input check's messages.
@Suite("Model interfaces")
struct ModelInterfaceTests {
    /// The first recorded `latest_version.openapi_schema` (SDXL's).
    func recordedSchema() throws -> JSONValue {
        for interaction in try Fixtures.all() where interaction.file == "models-get.json" {
            let body = try JSONValue(parsing: Data(interaction.body.utf8))
            if let schema = body["latest_version"]?["openapi_schema"], schema != .null { return schema }
        }
        throw ReplicateError.validation("no recorded schema")
    }

    @Test("A recorded schema: inputs in x-order, enums through allOf, limits, files, the output's shape")
    func recorded() throws {
        let interface = try #require(ModelInterface(schema: try recordedSchema()))
        #expect(interface.inputs.first?.name == "prompt")
        let orders = interface.inputs.map(\.name)
        #expect(orders.firstIndex(of: "image")! < orders.firstIndex(of: "mask")!)
        let scheduler = try #require(interface.field("scheduler"))
        #expect(scheduler.type == "string" && scheduler.choices?.contains("K_EULER") == true)
        let outputs = try #require(interface.field("num_outputs"))
        #expect(outputs.type == "integer" && outputs.minimum == 1 && outputs.maximum == 4 && outputs.defaultValue == 1)
        #expect(interface.field("image")?.isFile == true)
        #expect(interface.output.type == "array" && interface.output.isFile && !interface.output.concatenate)
    }

    @Test("Problems: a misspelt key names the nearest, and wrong type, range and enum name what is allowed")
    func problems() throws {
        let interface = try #require(ModelInterface(schema: try recordedSchema()))
        let misspelt = interface.problems(in: ["promtp": "a cat"], model: "m")
        #expect(misspelt.map(\.field) == ["promtp"])
        #expect(misspelt.first?.message.contains("did you mean 'prompt'?") == true)
        let typed = interface.problems(in: ["num_outputs": "two"], model: "m")
        #expect(typed.first?.message == #"input 'num_outputs' for m must be an integer from 1 to 4, got "two""#)
        #expect(interface.problems(in: ["num_outputs": 9], model: "m").first?.message == "input 'num_outputs' for m must be an integer from 1 to 4, got 9")
        #expect(interface.problems(in: ["scheduler": "fast"], model: "m").first?.message.hasPrefix(#"input 'scheduler' for m must be one of "DDIM""#) == true)
        // A whole float is an integer; null is absent; a fitting input has no problems.
        #expect(interface.problems(in: ["num_outputs": .double(2), "seed": .null, "prompt": "x"], model: "m").isEmpty)
    }

    @Test("Old schemas: no x-order, no Output; additionalProperties lets other keys through; required without default is missing")
    func oldSchemas() throws {
        let schema = try JSONValue(parsing: #"""
            {"components": {"schemas": {"Input": {"type": "object", "required": ["text"],
              "properties": {"text": {"type": "string"}, "b": {"type": "boolean"}, "a": {"type": "number", "minimum": 0}}}}}}
            """#)
        let interface = try #require(ModelInterface(schema: schema))
        #expect(interface.inputs.map(\.name) == ["a", "b", "text"])
        #expect(interface.output.type == "any")
        #expect(interface.problems(in: [:], model: "m").map(\.message) == ["missing input 'text' for m, which is required (a string)"])
        #expect(interface.problems(in: ["text": "x", "a": -1], model: "m").first?.message == "input 'a' for m must be a number of at least 0, got -1")
        #expect(ModelInterface(schema: .object([:])) == nil)

        let open = try JSONValue(parsing: #"""
            {"components": {"schemas": {"Input": {"type": "object", "additionalProperties": true, "properties": {}},
              "Output": {"type": "array", "items": {"type": "string"}, "x-cog-array-type": "iterator", "x-cog-array-display": "concatenate"}}}}
            """#)
        let echo = try #require(ModelInterface(schema: open))
        #expect(echo.problems(in: ["anything": 1], model: "m").isEmpty)
        #expect(echo.output.iterator && echo.output.concatenate && echo.output.itemType == "string")
    }
}
