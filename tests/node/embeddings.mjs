// Embed texts from a mockllm server with the official openai Node SDK and print a JSON summary.
//
// Usage: node embeddings.mjs BASE_URL REQUEST_JSON
//   REQUEST_JSON  the embeddings.create() arguments ({"model": ..., "input": ..., ...}); without
//                 encoding_format the SDK asks for base64 and decodes it into numbers (its default path).
import OpenAI from "openai";

const baseURL = process.argv[2];
const request = JSON.parse(process.argv[3] || "{}");
if (!baseURL) {
  console.error("usage: node embeddings.mjs BASE_URL REQUEST_JSON");
  process.exit(2);
}
const client = new OpenAI({ baseURL, apiKey: process.env.MOCKLLM_API_KEY || "sk-test", maxRetries: 0 });
try {
  const answer = await client.embeddings.create(request);
  console.log(
    JSON.stringify({
      model: answer.model,
      usage: answer.usage,
      indexes: answer.data.map((d) => d.index),
      types: answer.data.map((d) => typeof d.embedding),
      vectors: answer.data.map((d) => (typeof d.embedding === "string" ? d.embedding : Array.from(d.embedding))),
    }),
  );
} catch (error) {
  console.log(JSON.stringify({ status: error.status, error: error.error, name: error.constructor.name }));
}
