"""One package per wire API: each parses and validates its own request format into the neutral
conversation, renders a ``Completion`` as its own JSON body and SSE events, and spells errors its way."""
