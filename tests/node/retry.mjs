// Ask mockllm once with the official openai Node SDK, letting the SDK retry, and print a JSON summary.
//
// Usage: node retry.mjs BASE_URL [MAX_RETRIES]
// The test scripts 429s through the admin API first; this script only shows what the SDK made of them:
// the final answer (or error) and how long the retries took.
import OpenAI from "openai";

const baseURL = process.argv[2];
if (!baseURL) {
  console.error("usage: node retry.mjs BASE_URL [MAX_RETRIES]");
  process.exit(2);
}
const maxRetries = Number(process.argv[3] ?? 2);
const client = new OpenAI({ baseURL, apiKey: "sk-node-retry", maxRetries, timeout: 20_000 });

const started = Date.now();
const summary = { maxRetries };
try {
  const completion = await client.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "retry me please" }],
  });
  summary.ok = true;
  summary.content = completion.choices[0].message.content;
} catch (error) {
  summary.ok = false;
  summary.status = error.status ?? null;
  summary.error = String(error.message ?? error);
}
summary.elapsed_ms = Date.now() - started;
console.log(JSON.stringify(summary));
