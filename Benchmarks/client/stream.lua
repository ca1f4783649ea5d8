-- Streaming latency, the Lua side: writes each output token on its own line the moment the loop
-- receives it (stdout unbuffered), so the harness can timestamp its arrival.
-- usage: REPLICATE_URL=… REPLICATE_API_TOKEN=x kosmo-lua --allow stream stream.lua
io.stdout:setvbuf("no")
for event in replicate.stream("bench/stream", {}) do
  if event.event == "output" then io.write(event.data, "\n") end
end
