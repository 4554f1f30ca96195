import json
from openai import OpenAI
client = OpenAI(
    api_key="YOUR_KEY",
    base_url="https://gateway.mytokengate.com/v1"
)
response = client.chat.completions.create(
    model="gpt-4o",
    messages=[
        {"role": "system", "content": "You are a helpful assistant designed to output JSON."},
        {"role": "user", "content": "Who were the men's and women's singles champions of the 2020 Olympic table tennis? Respond in JSON format."}
    ],
    response_format={"type": "json_object"}
)
print(response.choices[0].message.content)
