-- The REPL's result printer: pretty-prints each value, with colours on a terminal.
local pretty, color = ...
local select, concat = select, table.concat
return function(...)
  local out = {}
  for i = 1, select("#", ...) do
    out[i] = pretty.format((select(i, ...)), { color = color })
  end
  print(concat(out, "\t"))
end
