enum LuaHostPlaceholder {}
