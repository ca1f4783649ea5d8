// Generated once from shared/reference/functions.tsv and replicate-openapi.json (sha256 4500bf86…)
// by Tests/ReplicateTests/Reference/gen_catalog.py, which cross-checks the two sources (names, order,
// requiredness, body content types). Regenerate rather than edit; CatalogTests re-checks it
// against functions.tsv.

extension Catalog {
    static let generatedOperations: [OperationSpec] = [
        OperationSpec(
            name: "cancel_prediction", alias: "replicate_cancel_prediction", access: .write, method: "POST",
            path: "/predictions/{prediction_id}/cancel", operationId: "predictions.cancel",
            summary: "Cancel a prediction",
            parameters: [
                ParameterSpec(name: "prediction_id", location: .path, required: true, type: "string", description: "The ID of the prediction to cancel."),
            ],
            body: nil,
            paginated: false
        ),
        OperationSpec(
            name: "cancel_training", alias: "replicate_cancel_training", access: .write, method: "POST",
            path: "/trainings/{training_id}/cancel", operationId: "trainings.cancel",
            summary: "Cancel a training",
            parameters: [
                ParameterSpec(name: "training_id", location: .path, required: true, type: "string", description: "The ID of the training you want to cancel."),
            ],
            body: nil,
            paginated: false
        ),
        OperationSpec(
            name: "create_deployment", alias: "replicate_create_deployment", access: .write, method: "POST",
            path: "/deployments", operationId: "deployments.create",
            summary: "Create a deployment",
            parameters: [],
            body: BodySpec(contentType: "application/json", fields: [
                ParameterSpec(name: "hardware", location: .body, required: true, type: "string", description: "The SKU for the hardware used to run the model. Possible values can be retrieved from the `hardware.list` endpoint."),
                ParameterSpec(name: "max_instances", location: .body, required: true, type: "integer", description: "The maximum number of instances for scaling."),
                ParameterSpec(name: "min_instances", location: .body, required: true, type: "integer", description: "The minimum number of instances for scaling."),
                ParameterSpec(name: "model", location: .body, required: true, type: "string", description: "The full name of the model that you want to deploy e.g. stability-ai/sdxl."),
                ParameterSpec(name: "name", location: .body, required: true, type: "string", description: "The name of the deployment."),
                ParameterSpec(name: "version", location: .body, required: true, type: "string", description: "The 64-character string ID of the model version that you want to deploy."),
            ]),
            paginated: false
        ),
        OperationSpec(
            name: "create_deployment_prediction", alias: "replicate_create_deployment_prediction", access: .write, method: "POST",
            path: "/deployments/{deployment_owner}/{deployment_name}/predictions", operationId: "deployments.predictions.create",
            summary: "Create a prediction using a deployment",
            parameters: [
                ParameterSpec(name: "deployment_owner", location: .path, required: true, type: "string", description: "The name of the user or organization that owns the deployment."),
                ParameterSpec(name: "deployment_name", location: .path, required: true, type: "string", description: "The name of the deployment."),
                ParameterSpec(name: "Prefer", location: .header, required: false, type: "string", description: "Leave the request open and wait for the model to finish generating output. Set to `wait=n` where n is a number of seconds between 1 and 60.\n\nSee [sync mode](https://replicate.com/docs/topics/predictions/create-a-prediction#sync-mode) for more information."),
                ParameterSpec(name: "Cancel-After", location: .header, required: false, type: "string", description: "The maximum time the prediction can run before it is automatically canceled. The lifetime is measured from when the prediction is created.\n\nThe duration can be specified as string with an optional unit suffix:\n- `s` for seconds (e.g., `30s`, `90s`)\n- `m` for minutes (e.g., `5m`, `15m`)\n- `h` for hours (e.g., `1h`, `2h30m`)\n- defaults to seconds if no unit suffix is provided (e.g. `30` is the same as `30s`)\n\nYou can combine units for more precision (e.g., `1h30m45s`).\n\nThe minimum allowed duration is 5 seconds."),
            ],
            body: BodySpec(contentType: "application/json", fields: [
                ParameterSpec(name: "input", location: .body, required: true, type: "object", description: "The model's input as a JSON object. The input schema depends on what model you are running. To see the available inputs, click the \"API\" tab on the model you are running or [get the model version](#models.versions.get) and look at its `openapi_schema` property. For example, [stability-ai/sdxl](https://replicate.com/stability-ai/sdxl) takes `prompt` as an input.\n\nFiles should be passed as HTTP URLs or data URLs.\n\nUse an HTTP URL when:\n\n- you have a large file > 256kb\n- you want to be able to use the file multiple times\n- you want your prediction metadata to be associable with your input files\n\nUse a data URL when:\n\n- you have a small file <= 256kb\n- you don't want to upload and host the file somewhere\n- you don't need to use the file again (Replicate will not store it)"),
                ParameterSpec(name: "stream", location: .body, required: false, type: "boolean", description: "**This field is deprecated.**\n\nRequest a URL to receive streaming output using [server-sent events (SSE)](https://developer.mozilla.org/en-US/docs/Web/API/Server-sent_events).\n\nThis field is no longer needed as the returned prediction will always have a `stream` entry in its `urls` property if the model supports streaming."),
                ParameterSpec(name: "webhook", location: .body, required: false, type: "string", description: "An HTTPS URL for receiving a webhook when the prediction has new output. The webhook will be a POST request where the request body is the same as the response body of the [get prediction](#predictions.get) operation. If there are network problems, we will retry the webhook a few times, so make sure it can be safely called more than once. Replicate will not follow redirects when sending webhook requests to your service, so be sure to specify a URL that will resolve without redirecting."),
                ParameterSpec(name: "webhook_events_filter", location: .body, required: false, type: "array", description: "By default, we will send requests to your webhook URL whenever there are new outputs or the prediction has finished. You can change which events trigger webhook requests by specifying `webhook_events_filter` in the prediction request:\n\n- `start`: immediately on prediction start\n- `output`: each time a prediction generates an output (note that predictions can generate multiple outputs)\n- `logs`: each time log output is generated by a prediction\n- `completed`: when the prediction reaches a terminal state (succeeded/canceled/failed)\n\nFor example, if you only wanted requests to be sent at the start and end of the prediction, you would provide:\n\n```json\n{\n  \"input\": {\n    \"text\": \"Alice\"\n  },\n  \"webhook\": \"https://example.com/my-webhook\",\n  \"webhook_events_filter\": [\"start\", \"completed\"]\n}\n```\n\nRequests for event types `output` and `logs` will be sent at most once every 500ms. If you request `start` and `completed` webhooks, then they'll always be sent regardless of throttling."),
            ]),
            paginated: false
        ),
        OperationSpec(
            name: "create_file", alias: "replicate_create_file", access: .write, method: "POST",
            path: "/files", operationId: "files.create",
            summary: "Create a file",
            parameters: [],
            body: BodySpec(contentType: "multipart/form-data", fields: [
                ParameterSpec(name: "content", location: .body, required: true, type: "string", description: "The file content"),
                ParameterSpec(name: "filename", location: .body, required: false, type: "string", description: "The filename"),
                ParameterSpec(name: "metadata", location: .body, required: false, type: "object", description: "User-provided metadata associated with the file"),
                ParameterSpec(name: "type", location: .body, required: false, type: "string", description: "The content / MIME type for the file"),
            ]),
            paginated: false
        ),
        OperationSpec(
            name: "create_model", alias: "replicate_create_model", access: .write, method: "POST",
            path: "/models", operationId: "models.create",
            summary: "Create a model",
            parameters: [],
            body: BodySpec(contentType: "application/json", fields: [
                ParameterSpec(name: "cover_image_url", location: .body, required: false, type: "string", description: "A URL for the model's cover image. This should be an image file."),
                ParameterSpec(name: "description", location: .body, required: false, type: "string", description: "A description of the model."),
                ParameterSpec(name: "github_url", location: .body, required: false, type: "string", description: "A URL for the model's source code on GitHub."),
                ParameterSpec(name: "hardware", location: .body, required: true, type: "string", description: "The SKU for the hardware used to run the model. Possible values can be retrieved from the `hardware.list` endpoint."),
                ParameterSpec(name: "license_url", location: .body, required: false, type: "string", description: "A URL for the model's license."),
                ParameterSpec(name: "name", location: .body, required: true, type: "string", description: "The name of the model. This must be unique among all models owned by the user or organization."),
                ParameterSpec(name: "owner", location: .body, required: true, type: "string", description: "The name of the user or organization that will own the model. This must be the same as the user or organization that is making the API request. In other words, the API token used in the request must belong to this user or organization."),
                ParameterSpec(name: "paper_url", location: .body, required: false, type: "string", description: "A URL for the model's paper."),
                ParameterSpec(name: "visibility", location: .body, required: true, type: "string", description: "Whether the model should be public or private. A public model can be viewed and run by anyone, whereas a private model can be viewed and run only by the user or organization members that own the model."),
            ]),
            paginated: false
        ),
        OperationSpec(
            name: "create_model_prediction", alias: "replicate_create_model_prediction", access: .write, method: "POST",
            path: "/models/{model_owner}/{model_name}/predictions", operationId: "models.predictions.create",
            summary: "Create a prediction using an official model",
            parameters: [
                ParameterSpec(name: "model_owner", location: .path, required: true, type: "string", description: "The name of the user or organization that owns the model."),
                ParameterSpec(name: "model_name", location: .path, required: true, type: "string", description: "The name of the model."),
                ParameterSpec(name: "Prefer", location: .header, required: false, type: "string", description: "Leave the request open and wait for the model to finish generating output. Set to `wait=n` where n is a number of seconds between 1 and 60.\n\nSee [sync mode](https://replicate.com/docs/topics/predictions/create-a-prediction#sync-mode) for more information."),
                ParameterSpec(name: "Cancel-After", location: .header, required: false, type: "string", description: "The maximum time the prediction can run before it is automatically canceled. The lifetime is measured from when the prediction is created.\n\nThe duration can be specified as string with an optional unit suffix:\n- `s` for seconds (e.g., `30s`, `90s`)\n- `m` for minutes (e.g., `5m`, `15m`)\n- `h` for hours (e.g., `1h`, `2h30m`)\n- defaults to seconds if no unit suffix is provided (e.g. `30` is the same as `30s`)\n\nYou can combine units for more precision (e.g., `1h30m45s`).\n\nThe minimum allowed duration is 5 seconds."),
            ],
            body: BodySpec(contentType: "application/json", fields: [
                ParameterSpec(name: "input", location: .body, required: true, type: "object", description: "The model's input as a JSON object. The input schema depends on what model you are running. To see the available inputs, click the \"API\" tab on the model you are running or [get the model version](#models.versions.get) and look at its `openapi_schema` property. For example, [stability-ai/sdxl](https://replicate.com/stability-ai/sdxl) takes `prompt` as an input.\n\nFiles should be passed as HTTP URLs or data URLs.\n\nUse an HTTP URL when:\n\n- you have a large file > 256kb\n- you want to be able to use the file multiple times\n- you want your prediction metadata to be associable with your input files\n\nUse a data URL when:\n\n- you have a small file <= 256kb\n- you don't want to upload and host the file somewhere\n- you don't need to use the file again (Replicate will not store it)"),
                ParameterSpec(name: "stream", location: .body, required: false, type: "boolean", description: "**This field is deprecated.**\n\nRequest a URL to receive streaming output using [server-sent events (SSE)](https://developer.mozilla.org/en-US/docs/Web/API/Server-sent_events).\n\nThis field is no longer needed as the returned prediction will always have a `stream` entry in its `urls` property if the model supports streaming."),
                ParameterSpec(name: "webhook", location: .body, required: false, type: "string", description: "An HTTPS URL for receiving a webhook when the prediction has new output. The webhook will be a POST request where the request body is the same as the response body of the [get prediction](#predictions.get) operation. If there are network problems, we will retry the webhook a few times, so make sure it can be safely called more than once. Replicate will not follow redirects when sending webhook requests to your service, so be sure to specify a URL that will resolve without redirecting."),
                ParameterSpec(name: "webhook_events_filter", location: .body, required: false, type: "array", description: "By default, we will send requests to your webhook URL whenever there are new outputs or the prediction has finished. You can change which events trigger webhook requests by specifying `webhook_events_filter` in the prediction request:\n\n- `start`: immediately on prediction start\n- `output`: each time a prediction generates an output (note that predictions can generate multiple outputs)\n- `logs`: each time log output is generated by a prediction\n- `completed`: when the prediction reaches a terminal state (succeeded/canceled/failed)\n\nFor example, if you only wanted requests to be sent at the start and end of the prediction, you would provide:\n\n```json\n{\n  \"input\": {\n    \"text\": \"Alice\"\n  },\n  \"webhook\": \"https://example.com/my-webhook\",\n  \"webhook_events_filter\": [\"start\", \"completed\"]\n}\n```\n\nRequests for event types `output` and `logs` will be sent at most once every 500ms. If you request `start` and `completed` webhooks, then they'll always be sent regardless of throttling."),
            ]),
            paginated: false
        ),
        OperationSpec(
            name: "create_prediction", alias: "replicate_create_prediction", access: .write, method: "POST",
            path: "/predictions", operationId: "predictions.create",
            summary: "Create a prediction",
            parameters: [
                ParameterSpec(name: "Prefer", location: .header, required: false, type: "string", description: "Leave the request open and wait for the model to finish generating output. Set to `wait=n` where n is a number of seconds between 1 and 60.\n\nSee [sync mode](https://replicate.com/docs/topics/predictions/create-a-prediction#sync-mode) for more information."),
                ParameterSpec(name: "Cancel-After", location: .header, required: false, type: "string", description: "The maximum time the prediction can run before it is automatically canceled. The lifetime is measured from when the prediction is created.\n\nThe duration can be specified as string with an optional unit suffix:\n- `s` for seconds (e.g., `30s`, `90s`)\n- `m` for minutes (e.g., `5m`, `15m`)\n- `h` for hours (e.g., `1h`, `2h30m`)\n- defaults to seconds if no unit suffix is provided (e.g. `30` is the same as `30s`)\n\nYou can combine units for more precision (e.g., `1h30m45s`).\n\nThe minimum allowed duration is 5 seconds."),
            ],
            body: BodySpec(contentType: "application/json", fields: [
                ParameterSpec(name: "input", location: .body, required: true, type: "object", description: "The model's input as a JSON object. The input schema depends on what model you are running. To see the available inputs, click the \"API\" tab on the model you are running or [get the model version](#models.versions.get) and look at its `openapi_schema` property. For example, [stability-ai/sdxl](https://replicate.com/stability-ai/sdxl) takes `prompt` as an input.\n\nFiles should be passed as HTTP URLs or data URLs.\n\nUse an HTTP URL when:\n\n- you have a large file > 256kb\n- you want to be able to use the file multiple times\n- you want your prediction metadata to be associable with your input files\n\nUse a data URL when:\n\n- you have a small file <= 256kb\n- you don't want to upload and host the file somewhere\n- you don't need to use the file again (Replicate will not store it)"),
                ParameterSpec(name: "stream", location: .body, required: false, type: "boolean", description: "**This field is deprecated.**\n\nRequest a URL to receive streaming output using [server-sent events (SSE)](https://developer.mozilla.org/en-US/docs/Web/API/Server-sent_events).\n\nThis field is no longer needed as the returned prediction will always have a `stream` entry in its `urls` property if the model supports streaming."),
                ParameterSpec(name: "version", location: .body, required: true, type: "string", description: "The identifier for the model or model version that you want to run. This can be specified in a few different formats:\n\n- `{owner_name}/{model_name}` - Use this format for [official models](https://replicate.com/docs/topics/models/official-models). For example, `black-forest-labs/flux-schnell`. For all other models, the specific version is required.\n- `{owner_name}/{model_name}:{version_id}` - The owner and model name, plus the full 64-character version ID. For example, `replicate/hello-world:9dcd6d78e7c6560c340d916fe32e9f24aabfa331e5cce95fe31f77fb03121426`.\n- `{version_id}` - Just the 64-character version ID. For example, `9dcd6d78e7c6560c340d916fe32e9f24aabfa331e5cce95fe31f77fb03121426`"),
                ParameterSpec(name: "webhook", location: .body, required: false, type: "string", description: "An HTTPS URL for receiving a webhook when the prediction has new output. The webhook will be a POST request where the request body is the same as the response body of the [get prediction](#predictions.get) operation. If there are network problems, we will retry the webhook a few times, so make sure it can be safely called more than once. Replicate will not follow redirects when sending webhook requests to your service, so be sure to specify a URL that will resolve without redirecting."),
                ParameterSpec(name: "webhook_events_filter", location: .body, required: false, type: "array", description: "By default, we will send requests to your webhook URL whenever there are new outputs or the prediction has finished. You can change which events trigger webhook requests by specifying `webhook_events_filter` in the prediction request:\n\n- `start`: immediately on prediction start\n- `output`: each time a prediction generates an output (note that predictions can generate multiple outputs)\n- `logs`: each time log output is generated by a prediction\n- `completed`: when the prediction reaches a terminal state (succeeded/canceled/failed)\n\nFor example, if you only wanted requests to be sent at the start and end of the prediction, you would provide:\n\n```json\n{\n  \"version\": \"5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa\",\n  \"input\": {\n    \"text\": \"Alice\"\n  },\n  \"webhook\": \"https://example.com/my-webhook\",\n  \"webhook_events_filter\": [\"start\", \"completed\"]\n}\n```\n\nRequests for event types `output` and `logs` will be sent at most once every 500ms. If you request `start` and `completed` webhooks, then they'll always be sent regardless of throttling."),
            ]),
            paginated: false
        ),
        OperationSpec(
            name: "create_training", alias: "replicate_create_training", access: .write, method: "POST",
            path: "/models/{model_owner}/{model_name}/versions/{version_id}/trainings", operationId: "trainings.create",
            summary: "Create a training",
            parameters: [
                ParameterSpec(name: "model_owner", location: .path, required: true, type: "string", description: "The name of the user or organization that owns the model."),
                ParameterSpec(name: "model_name", location: .path, required: true, type: "string", description: "The name of the model."),
                ParameterSpec(name: "version_id", location: .path, required: true, type: "string", description: "The ID of the version."),
            ],
            body: BodySpec(contentType: "application/json", fields: [
                ParameterSpec(name: "destination", location: .body, required: true, type: "string", description: "A string representing the desired model to push to in the format `{destination_model_owner}/{destination_model_name}`. This should be an existing model owned by the user or organization making the API request. If the destination is invalid, the server will return an appropriate 4XX response."),
                ParameterSpec(name: "input", location: .body, required: true, type: "object", description: "An object containing inputs to the Cog model's `train()` function."),
                ParameterSpec(name: "webhook", location: .body, required: false, type: "string", description: "An HTTPS URL for receiving a webhook when the training completes. The webhook will be a POST request where the request body is the same as the response body of the [get training](#trainings.get) operation. If there are network problems, we will retry the webhook a few times, so make sure it can be safely called more than once. Replicate will not follow redirects when sending webhook requests to your service, so be sure to specify a URL that will resolve without redirecting."),
                ParameterSpec(name: "webhook_events_filter", location: .body, required: false, type: "array", description: "By default, we will send requests to your webhook URL whenever there are new outputs or the training has finished. You can change which events trigger webhook requests by specifying `webhook_events_filter` in the training request:\n\n- `start`: immediately on training start\n- `output`: each time a training generates an output (note that trainings can generate multiple outputs)\n- `logs`: each time log output is generated by a training\n- `completed`: when the training reaches a terminal state (succeeded/canceled/failed)\n\nFor example, if you only wanted requests to be sent at the start and end of the training, you would provide:\n\n```json\n{\n  \"destination\": \"my-organization/my-model\",\n  \"input\": {\n    \"text\": \"Alice\"\n  },\n  \"webhook\": \"https://example.com/my-webhook\",\n  \"webhook_events_filter\": [\"start\", \"completed\"]\n}\n```\n\nRequests for event types `output` and `logs` will be sent at most once every 500ms. If you request `start` and `completed` webhooks, then they'll always be sent regardless of throttling."),
            ]),
            paginated: false
        ),
        OperationSpec(
            name: "delete_deployment", alias: "replicate_delete_deployment", access: .write, method: "DELETE",
            path: "/deployments/{deployment_owner}/{deployment_name}", operationId: "deployments.delete",
            summary: "Delete a deployment",
            parameters: [
                ParameterSpec(name: "deployment_owner", location: .path, required: true, type: "string", description: "The name of the user or organization that owns the deployment."),
                ParameterSpec(name: "deployment_name", location: .path, required: true, type: "string", description: "The name of the deployment."),
            ],
            body: nil,
            paginated: false
        ),
        OperationSpec(
            name: "delete_file", alias: "replicate_delete_file", access: .write, method: "DELETE",
            path: "/files/{file_id}", operationId: "files.delete",
            summary: "Delete a file",
            parameters: [
                ParameterSpec(name: "file_id", location: .path, required: true, type: "string", description: "The ID of the file to delete"),
            ],
            body: nil,
            paginated: false
        ),
        OperationSpec(
            name: "delete_model", alias: "replicate_delete_model", access: .write, method: "DELETE",
            path: "/models/{model_owner}/{model_name}", operationId: "models.delete",
            summary: "Delete a model",
            parameters: [
                ParameterSpec(name: "model_owner", location: .path, required: true, type: "string", description: "The name of the user or organization that owns the model."),
                ParameterSpec(name: "model_name", location: .path, required: true, type: "string", description: "The name of the model."),
            ],
            body: nil,
            paginated: false
        ),
        OperationSpec(
            name: "delete_model_version", alias: "replicate_delete_model_version", access: .write, method: "DELETE",
            path: "/models/{model_owner}/{model_name}/versions/{version_id}", operationId: "models.versions.delete",
            summary: "Delete a model version",
            parameters: [
                ParameterSpec(name: "model_owner", location: .path, required: true, type: "string", description: "The name of the user or organization that owns the model."),
                ParameterSpec(name: "model_name", location: .path, required: true, type: "string", description: "The name of the model."),
                ParameterSpec(name: "version_id", location: .path, required: true, type: "string", description: "The ID of the version."),
            ],
            body: nil,
            paginated: false
        ),
        OperationSpec(
            name: "download_file", alias: "replicate_download_file", access: .read, method: "GET",
            path: "/files/{file_id}/download", operationId: "files.download",
            summary: "Download a file",
            parameters: [
                ParameterSpec(name: "file_id", location: .path, required: true, type: "string", description: "The ID of the file to download"),
                ParameterSpec(name: "owner", location: .query, required: true, type: "string", description: "The username of the user or organization that uploaded the file"),
                ParameterSpec(name: "expiry", location: .query, required: true, type: "integer", description: "A Unix timestamp with expiration date of this download URL"),
                ParameterSpec(name: "signature", location: .query, required: true, type: "string", description: "A base64-encoded HMAC-SHA256 checksum of the string '{owner} {id} {expiry}' generated with the Files API signing secret"),
            ],
            body: nil,
            paginated: false
        ),
        OperationSpec(
            name: "get_account", alias: "replicate_get_account", access: .read, method: "GET",
            path: "/account", operationId: "account.get",
            summary: "Get the authenticated account",
            parameters: [],
            body: nil,
            paginated: false
        ),
        OperationSpec(
            name: "get_collection", alias: "replicate_get_collection", access: .read, method: "GET",
            path: "/collections/{collection_slug}", operationId: "collections.get",
            summary: "Get a collection of models",
            parameters: [
                ParameterSpec(name: "collection_slug", location: .path, required: true, type: "string", description: "The slug of the collection, like `super-resolution` or `image-restoration`. See [replicate.com/collections](https://replicate.com/collections)."),
            ],
            body: nil,
            paginated: false
        ),
        OperationSpec(
            name: "get_default_webhook_secret", alias: "replicate_get_default_webhook_secret", access: .read, method: "GET",
            path: "/webhooks/default/secret", operationId: "webhooks.default.secret.get",
            summary: "Get the signing secret for the default webhook",
            parameters: [],
            body: nil,
            paginated: false
        ),
        OperationSpec(
            name: "get_deployment", alias: "replicate_get_deployment", access: .read, method: "GET",
            path: "/deployments/{deployment_owner}/{deployment_name}", operationId: "deployments.get",
            summary: "Get a deployment",
            parameters: [
                ParameterSpec(name: "deployment_owner", location: .path, required: true, type: "string", description: "The name of the user or organization that owns the deployment."),
                ParameterSpec(name: "deployment_name", location: .path, required: true, type: "string", description: "The name of the deployment."),
            ],
            body: nil,
            paginated: false
        ),
        OperationSpec(
            name: "get_file", alias: "replicate_get_file", access: .read, method: "GET",
            path: "/files/{file_id}", operationId: "files.get",
            summary: "Get a file",
            parameters: [
                ParameterSpec(name: "file_id", location: .path, required: true, type: "string", description: "The ID of the file to get"),
            ],
            body: nil,
            paginated: false
        ),
        OperationSpec(
            name: "get_model", alias: "replicate_get_model", access: .read, method: "GET",
            path: "/models/{model_owner}/{model_name}", operationId: "models.get",
            summary: "Get a model",
            parameters: [
                ParameterSpec(name: "model_owner", location: .path, required: true, type: "string", description: "The name of the user or organization that owns the model."),
                ParameterSpec(name: "model_name", location: .path, required: true, type: "string", description: "The name of the model."),
            ],
            body: nil,
            paginated: false
        ),
        OperationSpec(
            name: "get_model_readme", alias: "replicate_get_model_readme", access: .read, method: "GET",
            path: "/models/{model_owner}/{model_name}/readme", operationId: "models.readme.get",
            summary: "Get a model's README",
            parameters: [
                ParameterSpec(name: "model_owner", location: .path, required: true, type: "string", description: "The name of the user or organization that owns the model."),
                ParameterSpec(name: "model_name", location: .path, required: true, type: "string", description: "The name of the model."),
            ],
            body: nil,
            paginated: false
        ),
        OperationSpec(
            name: "get_model_version", alias: "replicate_get_model_version", access: .read, method: "GET",
            path: "/models/{model_owner}/{model_name}/versions/{version_id}", operationId: "models.versions.get",
            summary: "Get a model version",
            parameters: [
                ParameterSpec(name: "model_owner", location: .path, required: true, type: "string", description: "The name of the user or organization that owns the model."),
                ParameterSpec(name: "model_name", location: .path, required: true, type: "string", description: "The name of the model."),
                ParameterSpec(name: "version_id", location: .path, required: true, type: "string", description: "The ID of the version."),
            ],
            body: nil,
            paginated: false
        ),
        OperationSpec(
            name: "get_prediction", alias: "replicate_get_prediction", access: .read, method: "GET",
            path: "/predictions/{prediction_id}", operationId: "predictions.get",
            summary: "Get a prediction",
            parameters: [
                ParameterSpec(name: "prediction_id", location: .path, required: true, type: "string", description: "The ID of the prediction to get."),
            ],
            body: nil,
            paginated: false
        ),
        OperationSpec(
            name: "get_training", alias: "replicate_get_training", access: .read, method: "GET",
            path: "/trainings/{training_id}", operationId: "trainings.get",
            summary: "Get a training",
            parameters: [
                ParameterSpec(name: "training_id", location: .path, required: true, type: "string", description: "The ID of the training to get."),
            ],
            body: nil,
            paginated: false
        ),
        OperationSpec(
            name: "list_collections", alias: "replicate_list_collections", access: .read, method: "GET",
            path: "/collections", operationId: "collections.list",
            summary: "List collections of models",
            parameters: [],
            body: nil,
            paginated: true
        ),
        OperationSpec(
            name: "list_deployments", alias: "replicate_list_deployments", access: .read, method: "GET",
            path: "/deployments", operationId: "deployments.list",
            summary: "List deployments",
            parameters: [],
            body: nil,
            paginated: true
        ),
        OperationSpec(
            name: "list_files", alias: "replicate_list_files", access: .read, method: "GET",
            path: "/files", operationId: "files.list",
            summary: "List files",
            parameters: [],
            body: nil,
            paginated: true
        ),
        OperationSpec(
            name: "list_hardware", alias: "replicate_list_hardware", access: .read, method: "GET",
            path: "/hardware", operationId: "hardware.list",
            summary: "List available hardware for models",
            parameters: [],
            body: nil,
            paginated: false
        ),
        OperationSpec(
            name: "list_model_examples", alias: "replicate_list_model_examples", access: .read, method: "GET",
            path: "/models/{model_owner}/{model_name}/examples", operationId: "models.examples.list",
            summary: "List examples for a model",
            parameters: [
                ParameterSpec(name: "model_owner", location: .path, required: true, type: "string", description: "The name of the user or organization that owns the model."),
                ParameterSpec(name: "model_name", location: .path, required: true, type: "string", description: "The name of the model."),
            ],
            body: nil,
            paginated: true
        ),
        OperationSpec(
            name: "list_model_versions", alias: "replicate_list_model_versions", access: .read, method: "GET",
            path: "/models/{model_owner}/{model_name}/versions", operationId: "models.versions.list",
            summary: "List model versions",
            parameters: [
                ParameterSpec(name: "model_owner", location: .path, required: true, type: "string", description: "The name of the user or organization that owns the model."),
                ParameterSpec(name: "model_name", location: .path, required: true, type: "string", description: "The name of the model."),
            ],
            body: nil,
            paginated: true
        ),
        OperationSpec(
            name: "list_models", alias: "replicate_list_models", access: .read, method: "GET",
            path: "/models", operationId: "models.list",
            summary: "List public models",
            parameters: [
                ParameterSpec(name: "sort_by", location: .query, required: false, type: "string", description: "Field to sort models by. Defaults to `latest_version_created_at`."),
                ParameterSpec(name: "sort_direction", location: .query, required: false, type: "string", description: "Sort direction. Defaults to `desc` (descending, newest first)."),
            ],
            body: nil,
            paginated: true
        ),
        OperationSpec(
            name: "list_predictions", alias: "replicate_list_predictions", access: .read, method: "GET",
            path: "/predictions", operationId: "predictions.list",
            summary: "List predictions",
            parameters: [
                ParameterSpec(name: "created_after", location: .query, required: false, type: "string", description: "Include only predictions created at or after this date-time, in ISO 8601 format."),
                ParameterSpec(name: "created_before", location: .query, required: false, type: "string", description: "Include only predictions created before this date-time, in ISO 8601 format."),
                ParameterSpec(name: "source", location: .query, required: false, type: "string", description: "Filter predictions by how they were created. Currently only `web` is supported.\n\nIf no value is set, the API returns predictions from both API and web sources.\n\nWhen filtering by `source=web`, results are limited to predictions created in the last 14 days."),
            ],
            body: nil,
            paginated: true
        ),
        OperationSpec(
            name: "list_trainings", alias: "replicate_list_trainings", access: .read, method: "GET",
            path: "/trainings", operationId: "trainings.list",
            summary: "List trainings",
            parameters: [],
            body: nil,
            paginated: true
        ),
        OperationSpec(
            name: "search", alias: "replicate_search", access: .read, method: "GET",
            path: "/search", operationId: "search",
            summary: "Search models, collections, and docs (beta)",
            parameters: [
                ParameterSpec(name: "query", location: .query, required: true, type: "string", description: "The search query string"),
                ParameterSpec(name: "limit", location: .query, required: false, type: "integer", description: "Maximum number of model results to return (1-50, defaults to 20)"),
            ],
            body: nil,
            paginated: false
        ),
        OperationSpec(
            name: "search_models", alias: "replicate_search_models", access: .read, method: "QUERY",
            path: "/models", operationId: "models.search",
            summary: "Search public models",
            parameters: [],
            body: BodySpec(contentType: "text/plain", fields: [
                ParameterSpec(name: "query", location: .body, required: true, type: "string", description: "The search query"),
            ]),
            paginated: true
        ),
        OperationSpec(
            name: "update_deployment", alias: "replicate_update_deployment", access: .write, method: "PATCH",
            path: "/deployments/{deployment_owner}/{deployment_name}", operationId: "deployments.update",
            summary: "Update a deployment",
            parameters: [
                ParameterSpec(name: "deployment_owner", location: .path, required: true, type: "string", description: "The name of the user or organization that owns the deployment."),
                ParameterSpec(name: "deployment_name", location: .path, required: true, type: "string", description: "The name of the deployment."),
            ],
            body: BodySpec(contentType: "application/json", fields: [
                ParameterSpec(name: "hardware", location: .body, required: false, type: "string", description: "The SKU for the hardware used to run the model. Possible values can be retrieved from the `hardware.list` endpoint."),
                ParameterSpec(name: "max_instances", location: .body, required: false, type: "integer", description: "The maximum number of instances for scaling."),
                ParameterSpec(name: "min_instances", location: .body, required: false, type: "integer", description: "The minimum number of instances for scaling."),
                ParameterSpec(name: "version", location: .body, required: false, type: "string", description: "The ID of the model version that you want to deploy"),
            ]),
            paginated: false
        ),
        OperationSpec(
            name: "update_model", alias: "replicate_update_model", access: .write, method: "PATCH",
            path: "/models/{model_owner}/{model_name}", operationId: "models.update",
            summary: "Update metadata for a model",
            parameters: [
                ParameterSpec(name: "model_owner", location: .path, required: true, type: "string", description: "The name of the user or organization that owns the model."),
                ParameterSpec(name: "model_name", location: .path, required: true, type: "string", description: "The name of the model."),
            ],
            body: BodySpec(contentType: "application/json", fields: [
                ParameterSpec(name: "description", location: .body, required: false, type: "string", description: "A description of the model."),
                ParameterSpec(name: "github_url", location: .body, required: false, type: "string", description: "A URL for the model's source code on GitHub."),
                ParameterSpec(name: "license_url", location: .body, required: false, type: "string", description: "A URL for the model's license."),
                ParameterSpec(name: "paper_url", location: .body, required: false, type: "string", description: "A URL for the model's paper."),
                ParameterSpec(name: "readme", location: .body, required: false, type: "string", description: "The README content of the model."),
                ParameterSpec(name: "weights_url", location: .body, required: false, type: "string", description: "A URL for the model's weights."),
            ]),
            paginated: false
        ),
    ]
}
