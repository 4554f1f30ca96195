payload = {
    "model": "gpt-4o",
    "messages": [
        {"role": "user", "content": "1+1=?"}
    ],
    "max_tokens": 200,
    "temperature": 0.7,
    "top_k": 50,
    "top_p": 0.7,
    "frequency_penalty": 0
}
