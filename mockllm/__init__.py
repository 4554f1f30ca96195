"""mockllm: a local, deterministic emulator of the OpenAI-compatible Chat Completions API."""

__version__ = "0.1.0"
