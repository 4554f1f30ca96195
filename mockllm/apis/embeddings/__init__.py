"""``POST /v1/embeddings``: validation (``validate``), seeded meaningful vectors (``vectors``), the answer
body (``render``) and the request path through the shared engine (``serve``)."""
