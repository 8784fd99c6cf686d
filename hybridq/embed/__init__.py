"""Embedding: the Embedder protocol, the sentence-transformers model, the model's tokenizer, chunking."""

from hybridq.embed.chunking import chunk_hash, chunk_text, chunk_texts
from hybridq.embed.embedder import Embedder, SentenceTransformerEmbedder
from hybridq.embed.tokens import Tokenizer, load_tokenizer

__all__ = ["Embedder", "SentenceTransformerEmbedder", "Tokenizer", "chunk_text", "chunk_texts", "chunk_hash",
           "load_tokenizer"]
