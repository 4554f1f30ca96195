// Stream one Responses-API answer from a mockllm server with the official openai Node SDK
// (`client.responses.create({..., stream: true})`) and print a JSON summary as the last line.
//
// Usage: node responses.mjs BASE_URL [REQUEST_JSON [HEADERS_JSON]]
//   REQUEST_JSON  fields merged over {model: "gpt-4o-mini", input: "Tell me about the history of Rome."}
//   HEADERS_JSON  extra request headers (x-mockllm-fault, x-mockllm-session, ...)
import OpenAI from "openai";

const baseURL = process.argv[2] || process.env.MOCKLLM_BASE_URL;
if (!baseURL) {
  console.error("usage: node responses.mjs BASE_URL [REQUEST_JSON]");
  process.exit(2);
}
const extra = JSON.parse(process.argv[3] || "{}");
const defaultHeaders = JSON.parse(process.argv[4] || "{}");
const client = new OpenAI({ baseURL, apiKey: "sk-test", maxRetries: 0, defaultHeaders });
const request = { model: "gpt-4o-mini", input: "Tell me about the history of Rome.", ...extra, stream: true };

const stream = await client.responses.create(request);
const types = [];
const sequence = [];
let text = "";
const calls = {};
let final = null;
let error = null;
try {
  for await (const event of stream) {
    types.push(event.type);
    sequence.push(event.sequence_number);
    if (event.type === "response.output_text.delta") text += event.delta;
    if (event.type === "response.function_call_arguments.delta") {
      calls[event.output_index] = (calls[event.output_index] || "") + event.delta;
    }
    if (event.type === "response.completed" || event.type === "response.incomplete") final = event.response;
  }
} catch (e) {
  error = { name: e.constructor.name, message: e.message, code: e.code ?? null, status: e.status ?? null };
}
console.log(
  JSON.stringify({
    types,
    sequence,
    text,
    calls: Object.values(calls),
    // The SDK's own accumulated text, computed from the final response object.
    output_text: final ? final.output.filter((i) => i.type === "message").flatMap((i) => i.content).map((c) => c.text).join("") : null,
    status: final ? final.status : null,
    usage: final ? final.usage : null,
    output: final ? final.output.map((i) => ({ type: i.type, name: i.name ?? null, arguments: i.arguments ?? null })) : null,
    error,
  }),
);
