"""Embedding: the Embedder protocol, the sentence-transformers model, chunking."""

from hybridq.embed.chunking import chunk_hash, chunk_text, count_tokens
from hybridq.embed.embedder import Embedder, SentenceTransformerEmbedder

__all__ = ["Embedder", "SentenceTransformerEmbedder", "chunk_text", "chunk_hash", "count_tokens"]
