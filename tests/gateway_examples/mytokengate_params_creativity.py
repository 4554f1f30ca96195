# Temperature parameter (0.0~2.0)
temperature=0.5 # Balances creativity and reliability
# Nucleus sampling (top_p)
top_p=0.9 # Considers only the top 90% probability cumulative word set
