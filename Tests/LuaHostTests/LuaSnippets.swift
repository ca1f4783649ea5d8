/// Lua the tests share.
enum LuaSnippets {
    /// `eq(a, b)`: deep equality of decoded JSON values, integers and floats told apart, and
    /// arrays (marked with `json.array`'s metatable) told from objects.
    static let deepEqual = """
        local marker = getmetatable(json.array{})
        local function eq(a, b)
          if type(a) ~= type(b) then return false end
          if type(a) == "number" then return math.type(a) == math.type(b) and a == b end
          if type(a) ~= "table" then return a == b end
          if (getmetatable(a) == marker) ~= (getmetatable(b) == marker) then return false end
          for k, v in pairs(a) do if not eq(v, b[k]) then return false end end
          for k in pairs(b) do if a[k] == nil then return false end end
          return true
        end
        """
}
