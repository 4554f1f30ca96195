curl 'https://tokensmind.ai/v1/chat/completions' \
-H 'Authorization: Bearer <Tokensmind_API_KEY>' \
-H 'Content-Type: application/json' \
-d '{
"model": "gpt-4o-mini",
"messages": [
{
"role": "user",
"content": "What is the meaning of life?"
}
]
}'
