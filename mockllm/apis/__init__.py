"""The APIs mockllm serves beside chat completions, one package each."""
