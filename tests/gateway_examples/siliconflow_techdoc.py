from openai import OpenAI
client = OpenAI(api_key="YOUR_KEY", base_url="https://api.siliconflow.cn/v1")
response = client.chat.completions.create(  
    model="Qwen/Qwen2.5-Coder-32B-Instruct",  
    messages=[{  
        "role": "user",  
        "content": "Write an asynchronous web scraper tutorial in python, including code examples and notes"  
    }],  
    temperature=0.7,  
    max_tokens=4096  
)  
