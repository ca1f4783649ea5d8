-- hello.lua: the smallest kosmo-lua script.
local greeting = { text = "hello from kosmo-lua", lua = _VERSION }
print(json.encode(greeting))
