import requests
import json
response = requests.post(
url="https://tokensmind.ai/v1/chat/completions",
headers={
"Authorization": "Bearer <Tokensmind_API_KEY>",
"Content-Type": "application/json",
},
data=json.dumps({
"model": "gpt-4o-mini", # 替换模型 id
"messages": [
{
"role": "user",
"content": "What is the meaning of life?"
}
]
})
)
