-- Generate images, then download each one.
--
--   kosmo-lua --sim --allow run examples/image_pipeline.lua [output-dir]
local dir = arg and arg[1] or "."
local prompt = "a llama on a mountain at sunrise, watercolor"

local urls = replicate.run("black-forest-labs/flux-schnell", { prompt = prompt, num_outputs = 2 })
print(("generated %d images for %q"):format(#urls, prompt))

for i, url in ipairs(urls) do
  local saved = replicate.download(url, ("%s/llama-%d.png"):format(dir, i))
  print(("saved %s (%d bytes, %s)"):format(saved.path, saved.bytes, saved.content_type or "unknown type"))
end
