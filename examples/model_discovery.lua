-- Find a model and learn how to call it: search, README, examples and the input schema.
--
--   kosmo-lua --sim examples/model_discovery.lua [query]
-- (Only reads: the default policy allows them without asking.)
local query = arg and arg[1] or "llama"

local found = replicate.search { query = query, limit = 3 }
print(("models matching %q:"):format(query))
for _, hit in ipairs(found.models) do
  print(("  %s/%s  %s"):format(hit.model.owner, hit.model.name, hit.model.description or ""))
end

if #found.models == 0 then
  print("  (none; try another query)")
  return
end
local top = found.models[1].model
local ref = top.owner .. "/" .. top.name
print("\nREADME of " .. ref .. ":")
print(replicate.get_model_readme(ref))

local examples = replicate.list_model_examples(ref)
print(("%d example prediction(s)"):format(#examples.results))

local model = replicate.get_model(ref)
local input = model.latest_version.openapi_schema.components.schemas.Input
print("inputs of " .. ref .. ":")
local names = {}
for name in pairs(input.properties) do names[#names + 1] = name end
table.sort(names, function(a, b)
  return (input.properties[a]["x-order"] or 0) < (input.properties[b]["x-order"] or 0)
end)
for _, name in ipairs(names) do
  local p = input.properties[name]
  print(("  %-14s %-8s default %s"):format(name, p.type or "?", p.default == nil and "-" or tostring(p.default)))
end
