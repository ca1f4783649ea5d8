/// One example per API function, as `replicate.help`, `kosmo-lua docs` and the MCP server's
/// `describe_function` show it. Each is a whole snippet that runs as written: in the sandbox,
/// under `--sim` on a fresh simulator (a test runs every one), and against the real API with the
/// same models (`replicate/hello-world` by its version, the account's own models for writes).
/// Where a function needs an id, the example makes the thing first, so nothing is a placeholder.
enum Examples {
    /// `replicate/hello-world`'s version: a tiny public model the API and the simulator both have.
    static let helloWorld = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"

    /// A prediction of hello-world, made by examples that need one.
    static let prediction = #"local p = replicate.create_prediction{version = "\#(helloWorld)", input = {text = "kosmo"}}"#

    /// The examples of the API functions, by name.
    static let api: [String: String] = [
        "cancel_prediction": prediction + "\n" + #"print(replicate.cancel_prediction(p.id).status)"#,
        "cancel_training": training + "\n" + #"print(replicate.cancel_training(t.id).status)"#,
        "create_deployment": #"""
            local me = replicate.get_account()
            local d = replicate.create_deployment{name = "hello", model = "replicate/hello-world",
              version = "\#(helloWorld)", hardware = "cpu", min_instances = 0, max_instances = 1}
            print(d.owner .. "/" .. d.name)
            """#,
        "create_deployment_prediction": #"""
            replicate.create_deployment{name = "hello", model = "replicate/hello-world",
              version = "\#(helloWorld)", hardware = "cpu", min_instances = 0, max_instances = 1}
            local me = replicate.get_account()
            local p = replicate.create_deployment_prediction(me.username .. "/hello", {text = "kosmo"}, {wait = true})
            print(p.status, p.output)
            """#,
        "create_file": #"local f = replicate.create_file{content = "hello", filename = "hello.txt"}"# + "\n" + #"print(f.id, f.urls.get)"#,
        "create_model": #"""
            local me = replicate.get_account()
            local m = replicate.create_model{owner = me.username, name = "my-model", visibility = "private", hardware = "cpu"}
            print(m.url)
            """#,
        "create_model_prediction": #"""
            local p = replicate.create_model_prediction("black-forest-labs/flux-schnell", {prompt = "a red fox"}, {wait = true})
            print(p.status, p.output[1])
            """#,
        "create_prediction": #"local p = replicate.create_prediction{version = "\#(helloWorld)", input = {text = "kosmo"}, wait = true}"# + "\n" + #"print(p.status, p.output)"#,
        "create_training": training + "\n" + #"print(t.id, t.status)"#,
        "delete_deployment": #"""
            replicate.create_deployment{name = "scratch", model = "replicate/hello-world",
              version = "\#(helloWorld)", hardware = "cpu", min_instances = 0, max_instances = 1}
            replicate.delete_deployment(replicate.get_account().username .. "/scratch")
            """#,
        "delete_file": #"local f = replicate.create_file{content = "bye", filename = "bye.txt"}"# + "\n" + #"replicate.delete_file(f.id)"#,
        "delete_model": #"""
            local me = replicate.get_account()
            replicate.create_model{owner = me.username, name = "scratch", visibility = "private", hardware = "cpu"}
            replicate.delete_model(me.username .. "/scratch")
            """#,
        "delete_model_version": training + "\n" + #"""
            t = replicate.wait(t)
            -- the fine-tune's version in the destination model, then deleted
            replicate.delete_model_version(t.output.version)
            """#,
        "download_file": #"""
            -- the owner, expiry and signature come from a signed link (the file's urls.download)
            local f = replicate.create_file{content = "hello", filename = "hello.txt"}
            local link = f.urls.download
            local function param(name)
              return (link:match(name .. "=([^&]+)"):gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
            end
            print(replicate.download_file{file_id = f.id, owner = param("owner"),
              expiry = math.tointeger(param("expiry")), signature = param("signature")})
            """#,
        "get_account": #"local me = replicate.get_account()"# + "\n" + #"print(me.username, me.type)"#,
        "get_collection": #"local c = replicate.get_collection("text-to-image")"# + "\n" + #"for _, m in ipairs(c.models) do print(m.owner .. "/" .. m.name) end"#,
        "get_default_webhook_secret": #"local secret = replicate.get_default_webhook_secret().key"#,
        "get_deployment": #"""
            replicate.create_deployment{name = "hello", model = "replicate/hello-world",
              version = "\#(helloWorld)", hardware = "cpu", min_instances = 0, max_instances = 1}
            local d = replicate.get_deployment(replicate.get_account().username .. "/hello")
            print(d.current_release.configuration.hardware)
            """#,
        "get_file": #"local f = replicate.create_file{content = "hello", filename = "hello.txt"}"# + "\n" + #"print(replicate.get_file(f.id).size)"#,
        "get_model": #"local m = replicate.get_model("replicate/hello-world")"# + "\n" + #"print(m.description, m.latest_version.id)"#,
        "get_model_readme": #"print(replicate.get_model_readme("replicate/hello-world"))"#,
        "get_model_version": #"local v = replicate.get_model_version("replicate/hello-world:\#(helloWorld)")"# + "\n" + #"print(v.cog_version)"#,
        "get_prediction": prediction + "\n" + #"print(replicate.get_prediction(p.id).status)"#,
        "get_training": training + "\n" + #"print(replicate.get_training(t.id).status)"#,
        "list_collections": #"local page = replicate.list_collections()"# + "\n" + #"for _, c in ipairs(page.results) do print(c.slug) end"#,
        "list_deployments": #"local page = replicate.list_deployments()"# + "\n" + #"print(#page.results .. " deployments")"#,
        "list_files": #"local page = replicate.list_files()"# + "\n" + #"print(#page.results .. " files")"#,
        "list_hardware": #"for _, h in ipairs(replicate.list_hardware()) do print(h.sku, h.name) end"#,
        "list_model_examples": #"local page = replicate.list_model_examples("replicate/hello-world")"# + "\n" + #"print(#page.results .. " examples")"#,
        "list_model_versions": #"local page = replicate.list_model_versions("replicate/hello-world")"# + "\n" + #"for _, v in ipairs(page.results) do print(v.id, v.created_at) end"#,
        "list_models": #"local page = replicate.list_models()  -- page.results, page.next"# + "\n" + #"for _, m in ipairs(page.results) do print(m.owner .. "/" .. m.name) end"#,
        "list_predictions": #"local page = replicate.list_predictions()"# + "\n" + #"for _, p in ipairs(page.results) do print(p.id, p.status) end"#,
        "list_trainings": #"local page = replicate.list_trainings()"# + "\n" + #"print(#page.results .. " trainings")"#,
        "search": #"local found = replicate.search{query = "upscale", limit = 5}"# + "\n" + #"for _, hit in ipairs(found.models) do print(hit.model.owner .. "/" .. hit.model.name) end"#,
        "search_models": #"local page = replicate.search_models{query = "llama"}"# + "\n" + #"for _, m in ipairs(page.results) do print(m.owner .. "/" .. m.name) end"#,
        "update_deployment": #"""
            replicate.create_deployment{name = "hello", model = "replicate/hello-world",
              version = "\#(helloWorld)", hardware = "cpu", min_instances = 0, max_instances = 1}
            local d = replicate.update_deployment(replicate.get_account().username .. "/hello", {max_instances = 3})
            print(d.current_release.configuration.max_instances)
            """#,
        "update_model": #"""
            local me = replicate.get_account()
            replicate.create_model{owner = me.username, name = "my-model", visibility = "private", hardware = "cpu"}
            local m = replicate.update_model(me.username .. "/my-model", {description = "My first model"})
            print(m.description)
            """#,
    ]

    /// A training of SDXL (a version that accepts trainings) into a model of the account's own.
    static let training = #"""
        local me = replicate.get_account()
        replicate.create_model{owner = me.username, name = "my-sdxl", visibility = "private", hardware = "gpu-a40-large"}
        local t = replicate.create_training("stability-ai/sdxl:39ed52f2a78e934b3ba6e2a89f5b1c712de7dfea535525255b1aa35c5565e08b",
          {destination = me.username .. "/my-sdxl", input = {input_images = "https://replicate.delivery/pbxt/photos.zip", steps = 10}})
        """#
}
