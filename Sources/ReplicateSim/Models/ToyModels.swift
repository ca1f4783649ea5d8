import Foundation

/// What a toy version does when it runs.
enum ToyKind: String, Sendable {
    case hello, text, image, slow, fail, echo, trainable
}

struct VersionRecord: Sendable {
    var id: String
    var createdAt: Date
    var kind: ToyKind
    var inputs: [InputProperty]
    var output: JSON
    var trainingInputs: [InputProperty]? = nil
    var cogVersion = "0.13.6"

    func json() -> JSON {
        [
            "id": .string(id),
            "created_at": .string(Timestamp.string(createdAt)),
            "cog_version": .string(cogVersion),
            // `sim/echo` takes any input and echoes it back, so its schema says so.
            "openapi_schema": Schema.openAPI(inputs: inputs, output: output, trainingInputs: trainingInputs, acceptsOtherInputs: kind == .echo),
        ]
    }
}

struct ModelRecord: Sendable {
    var owner: String
    var name: String
    var description: String?
    var visibility = "public"
    var hardware = "cpu"
    var official = false
    var githubURL: String? = nil
    var paperURL: String? = nil
    var licenseURL: String? = nil
    var coverImageURL: String? = nil
    var weightsURL: String? = nil
    var runCount = 0
    /// Newest first, like the service's version list.
    var versions: [VersionRecord] = []
    var createdAt = Date()
    var readme: String? = nil

    var fullName: String { "\(owner)/\(name)" }

    func json() -> JSON {
        [
            "url": .string("https://replicate.com/\(owner)/\(name)"),
            "owner": .string(owner), "name": .string(name),
            "description": .str(description), "visibility": .string(visibility),
            "github_url": .str(githubURL), "paper_url": .str(paperURL), "license_url": .str(licenseURL),
            "run_count": .int(runCount), "cover_image_url": .str(coverImageURL),
            "default_example": .null,
            "latest_version": versions.first?.json() ?? .null,
            "is_official": .bool(official),
            "created_at": .string(Timestamp.string(createdAt)),
        ]
    }
}

/// The catalog the simulator starts with. Ids of real models are the real ones where the
/// recorded traffic names them, so recorded requests replay unchanged.
enum ToyModels {
    static let helloWorldVersion = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
    static let sdxlVersion = "39ed52f2a78e934b3ba6e2a89f5b1c712de7dfea535525255b1aa35c5565e08b"
    static let llama2Version = "02e509c789964a7ea8736978a43525956ef40397be9033abf9fd2badfe68c9e3"

    static let stringOutput: JSON = ["type": "string", "title": "Output"]
    static let streamingTextOutput: JSON = [
        "type": "array", "items": ["type": "string"], "title": "Output",
        "x-cog-array-type": "iterator", "x-cog-array-display": "concatenate",
    ]
    static let imagesOutput: JSON = ["type": "array", "items": ["type": "string", "format": "uri"], "title": "Output"]

    static func textInputs() -> [InputProperty] {
        [
            .init(name: "prompt", kind: .string, required: true, description: "Prompt to send to the model."),
            .init(name: "system_prompt", kind: .string, defaultValue: "You are a helpful assistant"),
            .init(name: "max_tokens", kind: .integer, defaultValue: 128, minimum: 1, maximum: 4096, description: "Maximum number of tokens to generate."),
            .init(name: "temperature", kind: .number, defaultValue: 0.6, minimum: 0, maximum: 5),
            .init(name: "top_p", kind: .number, defaultValue: 0.9, minimum: 0, maximum: 1),
        ]
    }

    static func imageInputs(scheduler: Bool) -> [InputProperty] {
        var p: [InputProperty] = [
            .init(name: "prompt", kind: .string, required: true),
            .init(name: "width", kind: .integer, defaultValue: 512, minimum: 16, maximum: 1440),
            .init(name: "height", kind: .integer, defaultValue: 512, minimum: 16, maximum: 1440),
            .init(name: "num_outputs", kind: .integer, defaultValue: 1, minimum: 1, maximum: 4),
            .init(name: "seed", kind: .integer),
            .init(name: "output_format", kind: .string, defaultValue: "png", choices: ["png"]),
        ]
        if scheduler {
            p.append(.init(name: "scheduler", kind: .string, defaultValue: "K_EULER", choices: ["DDIM", "K_EULER", "DPMSolverMultistep"]))
            p.append(.init(name: "input_images", kind: .file))
        }
        return p
    }

    static func trainingInputs() -> [InputProperty] {
        [
            .init(name: "input_images", kind: .file),
            .init(name: "steps", kind: .integer, defaultValue: 10, minimum: 1, maximum: 1000),
            .init(name: "use_face_detection_instead", kind: .boolean, defaultValue: false),
        ]
    }

    static func catalog(now: Date = Date()) -> [ModelRecord] {
        let old = Date(timeIntervalSince1970: 1_700_000_000)
        func v(_ id: String, _ kind: ToyKind, _ inputs: [InputProperty], _ output: JSON, training: [InputProperty]? = nil) -> VersionRecord {
            VersionRecord(id: id, createdAt: old, kind: kind, inputs: inputs, output: output, trainingInputs: training)
        }
        func hex(_ seed: String) -> String { StableHash.hex64(seed) }
        return [
            ModelRecord(
                owner: "replicate", name: "hello-world", description: "A tiny model that says hello",
                githubURL: "https://github.com/replicate/cog-examples", runCount: 5_000_000,
                versions: [v(helloWorldVersion, .hello, [.init(name: "text", kind: .string, required: true, description: "Text to prefix with 'hello '")], stringOutput)],
                createdAt: old, readme: "# hello-world\n\nSays hello.\n"),
            ModelRecord(
                owner: "meta", name: "meta-llama-3-8b-instruct",
                description: "An 8 billion parameter language model from Meta, fine tuned for chat completions",
                hardware: "gpu-a40-large", official: true, runCount: 100_000_000,
                versions: [v(hex("meta/meta-llama-3-8b-instruct"), .text, textInputs(), streamingTextOutput)], createdAt: old,
                readme: "# Meta Llama 3 8B Instruct (simulated)\n"),
            ModelRecord(
                owner: "meta", name: "llama-2-70b-chat",
                description: "A 70 billion parameter language model from Meta, fine tuned for chat completions",
                hardware: "gpu-a40-large", official: true, runCount: 1_847_452,
                versions: [v(llama2Version, .text, textInputs(), streamingTextOutput)], createdAt: old),
            ModelRecord(
                owner: "black-forest-labs", name: "flux-schnell",
                description: "The fastest image generation model tailored for local development and personal use",
                hardware: "gpu-h100", official: true, runCount: 400_000_000,
                versions: [v(hex("black-forest-labs/flux-schnell"), .image, imageInputs(scheduler: false), imagesOutput)], createdAt: old,
                readme: "# FLUX.1 [schnell] (simulated)\n"),
            ModelRecord(
                owner: "stability-ai", name: "sdxl",
                description: "A text-to-image generative AI model that creates beautiful images",
                hardware: "gpu-a40-large", githubURL: "https://github.com/replicate/cog-sdxl",
                paperURL: "https://arxiv.org/abs/2307.01952", runCount: 19_361_490,
                versions: [v(sdxlVersion, .image, imageInputs(scheduler: true), imagesOutput, training: trainingInputs())], createdAt: old),
            ModelRecord(owner: "replicate", name: "dreambooth-sdxl", description: "Destination for SDXL fine-tunes", visibility: "private", createdAt: old),
            ModelRecord(owner: "mattt", name: "empty", description: nil, createdAt: old),
            ModelRecord(
                owner: "sim", name: "slow", description: "Runs for `seconds` seconds", official: true,
                versions: [v(hex("sim/slow"), .slow, [.init(name: "seconds", kind: .number, defaultValue: 1, minimum: 0, maximum: 600)], stringOutput)], createdAt: old),
            ModelRecord(
                owner: "sim", name: "fail", description: "Always fails, after writing logs", official: true,
                versions: [v(hex("sim/fail"), .fail, [.init(name: "message", kind: .string, defaultValue: "simulated failure")], stringOutput)], createdAt: old),
            ModelRecord(
                owner: "sim", name: "echo", description: "Returns its input", official: true,
                versions: [v(hex("sim/echo"), .echo, [.init(name: "text", kind: .string), .init(name: "file", kind: .file)], ["title": "Output"])], createdAt: old),
            ModelRecord(
                owner: "sim", name: "trainable", description: "A version that accepts trainings", official: true,
                versions: [v(hex("sim/trainable"), .trainable, [.init(name: "prompt", kind: .string, defaultValue: "")], stringOutput, training: trainingInputs())], createdAt: old),
        ]
    }

    static let collections: [(slug: String, name: String, description: String, models: [String])] = [
        ("text-to-image", "Text to image", "Models that generate images from text prompts", ["black-forest-labs/flux-schnell", "stability-ai/sdxl"]),
        ("language-models", "Language models", "Models that understand and generate text", ["meta/meta-llama-3-8b-instruct", "meta/llama-2-70b-chat"]),
        ("streaming-language-models", "Streaming language models", "Language models that support streaming responses. See https://replicate.com/docs/streaming", ["meta/meta-llama-3-8b-instruct"]),
        ("simulator", "Simulator models", "Toy models for testing clients offline", ["sim/slow", "sim/fail", "sim/echo", "sim/trainable", "replicate/hello-world"]),
    ]

    static let hardware: JSON = [
        ["sku": "cpu", "name": "CPU"],
        ["sku": "gpu-t4", "name": "Nvidia T4 GPU"],
        ["sku": "gpu-a40-small", "name": "Nvidia A40 GPU"],
        ["sku": "gpu-a40-large", "name": "Nvidia A40 (Large) GPU"],
        ["sku": "gpu-a100-large", "name": "Nvidia A100 (80GB) GPU"],
        ["sku": "gpu-h100", "name": "Nvidia H100 GPU"],
    ]
}

/// Deterministic hashes (FNV-1a) for ids and token streams: the same input gives the same
/// version id and the same tokens on every run.
enum StableHash {
    static func fnv(_ s: String, seed: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
        var h = seed
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    static func hex64(_ s: String) -> String {
        var out = ""
        var h = fnv(s)
        for i in 0..<4 {
            h = fnv(s, seed: h &+ UInt64(i))
            out += String(format: "%016llx", h)
        }
        return out
    }
}

/// SplitMix64: tiny, seedable and good enough for faults and token choice.
struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
