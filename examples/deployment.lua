-- A deployment's lifecycle: create, inspect, scale, predict, delete.
--
--   kosmo-lua --sim --write allow examples/deployment.lua
local VERSION = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
local account = replicate.get_account()
local name = "hello-" .. os.time()

local deployment = replicate.create_deployment {
  name = name, model = "replicate/hello-world", version = VERSION,
  hardware = "cpu", min_instances = 0, max_instances = 1,
}
local ref = deployment.owner .. "/" .. deployment.name
print("created " .. ref)

deployment = replicate.update_deployment(ref, { max_instances = 3 })
print("max instances: " .. deployment.current_release.configuration.max_instances)

local prediction = replicate.create_deployment_prediction(ref, { text = "deployment" }, { wait = true })
print("prediction via the deployment: " .. tostring(replicate.wait(prediction).output))
print("run via the deployment: " .. replicate.run(ref, { text = "again" }, { deployment = true }))

local count = 0
for _ in replicate.paginate("list_deployments") do count = count + 1 end
print(("%d deployment(s) on %s"):format(count, account.username))

print("deleted: " .. tostring(replicate.delete_deployment(ref)))
