// Stream one chat completion from a mockllm server with the official openai Node SDK and print a JSON summary.
//
// Usage: node stream.mjs [BASE_URL] [REQUEST_JSON]
//   BASE_URL      e.g. http://127.0.0.1:8000/v1 (else $MOCKLLM_BASE_URL, else $OPENAI_BASE_URL)
//   REQUEST_JSON  extra request fields merged over the defaults below (else $MOCKLLM_REQUEST)
// The request always streams with stream_options.include_usage = true.
import OpenAI from "openai";

const baseURL = process.argv[2] || process.env.MOCKLLM_BASE_URL || process.env.OPENAI_BASE_URL;
if (!baseURL) {
  console.error("usage: node stream.mjs BASE_URL [REQUEST_JSON]");
  process.exit(2);
}
const extra = JSON.parse(process.argv[3] || process.env.MOCKLLM_REQUEST || "{}");

const client = new OpenAI({ baseURL, apiKey: process.env.MOCKLLM_API_KEY || "sk-test", maxRetries: 0 });
const request = {
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "Tell me about the history of Rome." }],
  ...extra,
  stream: true,
  stream_options: { include_usage: true },
};

const stream = await client.chat.completions.create(request);
const choices = new Map();
const ids = new Set();
const created = new Set();
let chunks = 0;
let usage = null;
let usageChunks = 0;
for await (const chunk of stream) {
  chunks += 1;
  ids.add(chunk.id);
  created.add(chunk.created);
  if (chunk.usage) {
    usage = chunk.usage;
    usageChunks += 1;
  }
  for (const c of chunk.choices) {
    if (!choices.has(c.index)) {
      choices.set(c.index, { index: c.index, text: "", reasoning: "", tool_calls: [], finish_reason: null });
    }
    const acc = choices.get(c.index);
    const delta = c.delta || {};
    if (typeof delta.content === "string") acc.text += delta.content;
    if (typeof delta.reasoning_content === "string") acc.reasoning += delta.reasoning_content;
    for (const call of delta.tool_calls || []) {
      if (!acc.tool_calls[call.index]) acc.tool_calls[call.index] = { id: null, name: "", arguments: "" };
      const slot = acc.tool_calls[call.index];
      if (call.id) slot.id = call.id;
      if (call.function?.name) slot.name += call.function.name;
      if (call.function?.arguments) slot.arguments += call.function.arguments;
    }
    if (c.finish_reason) acc.finish_reason = c.finish_reason;
  }
}

const ordered = [...choices.values()].sort((a, b) => a.index - b.index);
console.log(
  JSON.stringify({
    text: ordered.length ? ordered[0].text : "",
    chunks,
    usage,
    usage_chunks: usageChunks,
    ids: [...ids],
    created: [...created],
    choices: ordered,
  }),
);
