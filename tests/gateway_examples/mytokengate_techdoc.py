from openai import OpenAI
client = OpenAI(api_key="YOUR_KEY", base_url="https://gateway.mytokengate.com/v1")
response = client.chat.completions.create(
    model="claude-sonnet-4-6",
    messages=[{
        "role": "user",
        "content": "Write a Python tutorial on asynchronous web scraping, including code examples and precautions."
    }],
    temperature=0.7,
    max_tokens=4096
)
