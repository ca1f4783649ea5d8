-- Upload files and use them as model inputs.
--
--   kosmo-lua --sim --write allow examples/file_upload.lua
-- From a string's bytes (name them with filename):
local notes = replicate.upload("Llamas hum when they are curious.\n", { filename = "notes.txt" })
print(("uploaded %s: %s, %d bytes"):format(notes.id, notes.content_type, notes.size))

-- From a file on disk:
local path = os.tmpname()
local f = assert(io.open(path, "wb"))
f:write("id,animal\n1,llama\n2,alpaca\n")
f:close()
local csv = replicate.upload(path, { content_type = "text/csv" })
os.remove(path)
print(("uploaded %s (%s)"):format(csv.id, csv.content_type))

-- A file's URL is a model input like any other:
local echoed = replicate.run("sim/echo", { file = notes.urls.get })
print("the model received: " .. tostring(echoed.file))

for _, file in ipairs({ notes, csv }) do
  replicate.delete_file(file.id)
end
print("deleted both files")
