"""OpenAI's Responses API: ``POST /v1/responses`` and its companions (stored responses, input items,
input token counts)."""
