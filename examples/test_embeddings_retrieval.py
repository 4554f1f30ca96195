"""Offline retrieval tests with mockllm's embeddings. Run: pytest examples/test_embeddings_retrieval.py"""

import math

DOCS = [
    "How to reset a forgotten password in the account settings page",
    "Shipping takes three to five business days within Europe",
    "Refunds are issued to the original payment card within ten days",
    "Invoices can be downloaded as PDF from the billing dashboard",
]


def cosine(a, b):
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def search(client, query, docs, **options):
    """The retrieval code under test: embed everything, rank documents by cosine."""
    embed = client.embeddings.create
    vectors = [d.embedding for d in embed(model="text-embedding-3-small", input=docs, **options).data]
    q = embed(model="text-embedding-3-small", input=query, **options).data[0].embedding
    return sorted(range(len(docs)), key=lambda i: -cosine(q, vectors[i]))


def test_the_right_document_is_retrieved(mockllm):
    client = mockllm.client()
    assert search(client, "when do I get my refund on my card?", DOCS)[0] == 2
    assert search(client, "download an invoice as pdf", DOCS, dimensions=256)[0] == 3
    assert mockllm.usage["cost_usd"] > 0  # $0.02 per 1M input tokens


def test_pin_a_vector_or_make_a_near_twin(mockllm):
    # "lost my login" shares no word with the password document; make it its near-twin for this test.
    mockllm.on(api="embeddings", input="lost my login").reply(like=DOCS[0])
    mockllm.on(api="embeddings", input="exactly this").reply(embedding=[1.0, 0.0, 0.0])
    client = mockllm.client()
    assert search(client, "lost my login", DOCS)[0] == 0
    pinned = client.embeddings.create(model="text-embedding-3-small", input="exactly this").data[0].embedding
    assert len(pinned) == 1536 and pinned[0] == 1.0  # resized to the model's size, unit length
