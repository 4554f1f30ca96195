max_tokens=1000 # Maximum generation length per request
stop=["\n##", "<|end|>"] # Stop sequences
frequency_penalty=0.5 # Suppresses repetitive word usage (-2.0~2.0)
stream=True # Stream output
