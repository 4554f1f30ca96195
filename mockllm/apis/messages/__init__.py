"""Anthropic's Messages API (``POST /v1/messages``, ``count_tokens``, the models routes in its shape)."""
