"""The engine, API-neutral: decide (fixtures, sequences, generator, faults, chaos, rate limits) and shape
(stop, max tokens, JSON modes, tools, reasoning, usage → ``Completion``) over a neutral conversation.
No module here knows how an API spells a request or an answer; ``mockllm.apis`` does."""
