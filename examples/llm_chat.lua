-- A chat with a language model that keeps its history, streaming each answer token by token.
--
--   kosmo-lua --sim --allow stream examples/llm_chat.lua
local MODEL = "meta/meta-llama-3-8b-instruct"
local history = {}

local function ask(question)
  history[#history + 1] = "User: " .. question
  local prompt = table.concat(history, "\n") .. "\nAssistant:"
  io.write("> ", question, "\n")
  local answer = {}
  for event in replicate.stream(MODEL, { prompt = prompt, max_tokens = 24 }) do
    if event.event == "output" then
      io.write(event.data)
      io.flush()
      answer[#answer + 1] = event.data
    end
  end
  io.write("\n\n")
  history[#history + 1] = "Assistant: " .. table.concat(answer)
end

ask("Tell me about llamas.")
ask("And how do they differ from alpacas?")
print(("(%d messages kept in the history)"):format(#history))
