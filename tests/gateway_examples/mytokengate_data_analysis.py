from openai import OpenAI
client = OpenAI(api_key="YOUR_KEY", base_url="https://gateway.mytokengate.com/v1")
response = client.chat.completions.create(
    model="gemini-2.5-pro",
    messages=[
        {"role": "system", "content": "You are a data analysis expert. Output results in Markdown."},
        {"role": "user", "content": "Analyze the sales trends of new energy vehicles in 2023."}
    ],
    temperature=0.7,
    max_tokens=4096
)
