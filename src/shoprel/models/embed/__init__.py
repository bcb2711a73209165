"""The `embed` family: frozen encoder embeddings + similarity, neighbour and lexical features."""
