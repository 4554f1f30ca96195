from openai import OpenAI
client = OpenAI(api_key="YOUR_KEY", base_url="https://api.siliconflow.cn/v1")
response = client.chat.completions.create(  
    model="Qwen/QVQ-72B-Preview",  
    messages=[    
        {"role": "system", "content": "You are a data analysis expert. Output the results in Markdown."},  
        {"role": "user", "content": "Analyze the sales trends of new energy vehicles in 2023"}  
    ],  
    temperature=0.7,  
    max_tokens=4096  
)  
