"""A sentence-transformers BERT model (all-MiniLM-L6-v2) run directly in torch.

Why not sentence-transformers itself: importing it pulls in transformers' model zoo
and scikit-learn, about 10 s on 2 cores before the first query. This module needs
torch, tokenizers and safetensors only (about 2.5 s) and computes the same vectors
(tests compare both): BERT encoder, mean pooling over real tokens, L2 normalisation.
It handles exactly that architecture; anything else falls back to sentence-transformers.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np


def supports(folder: Path) -> bool:
    """True for a BERT model with mean pooling and normalisation, in safetensors."""
    try:
        config = json.loads((folder / "config.json").read_text())
        modules = json.loads((folder / "modules.json").read_text())
        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
    except (OSError, ValueError):
        return False
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    return (
        config.get("model_type") == "bert"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and kinds == ["Transformer", "Pooling", "Normalize"]
        and pooling.get("pooling_mode_mean_tokens") is True
        and sum(bool(v) for k, v in pooling.items() if k.startswith("pooling_mode")) == 1
        and (folder / "model.safetensors").exists()
        and (folder / "tokenizer.json").exists()
    )


class BertSentenceEncoder:
    """Same two methods as llama-index embeddings, so retrieval and ingest can use either."""

    def __init__(self, folder: Path, batch_size: int = 32):
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        self.torch = torch
        config = json.loads((folder / "config.json").read_text())
        st_config_path = folder / "sentence_bert_config.json"
        st_config = json.loads(st_config_path.read_text()) if st_config_path.exists() else {}
        self.max_len = int(st_config.get("max_seq_length", config["max_position_embeddings"]))
        self.heads = config["num_attention_heads"]
        self.layers = config["num_hidden_layers"]
        self.eps = config["layer_norm_eps"]
        self.batch_size = batch_size
        self.w = {k.removeprefix("bert."): v.float() for k, v in load_file(str(folder / "model.safetensors")).items()}
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_len)
        self.tokenizer.enable_padding(pad_id=config.get("pad_token_id", 0))

    def _layer_norm(self, x, name):
        return self.torch.nn.functional.layer_norm(
            x, x.shape[-1:], self.w[f"{name}.weight"], self.w[f"{name}.bias"], self.eps
        )

    def _linear(self, x, name):
        return self.torch.nn.functional.linear(x, self.w[f"{name}.weight"], self.w[f"{name}.bias"])

    def _forward(self, ids, types, mask):
        torch, F, w = self.torch, self.torch.nn.functional, self.w
        positions = torch.arange(ids.shape[1]).unsqueeze(0)
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][positions]
        x = self._layer_norm(x + w["embeddings.token_type_embeddings.weight"][types], "embeddings.LayerNorm")
        batch, seq, hidden = x.shape
        head_dim = hidden // self.heads
        attn_mask = mask[:, None, None, :].bool()
        for i in range(self.layers):
            p = f"encoder.layer.{i}"

            def split(t):
                return t.view(batch, seq, self.heads, head_dim).transpose(1, 2)

            q, k, v = (split(self._linear(x, f"{p}.attention.self.{n}")) for n in ("query", "key", "value"))
            ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, scale=1 / math.sqrt(head_dim))
            ctx = ctx.transpose(1, 2).reshape(batch, seq, hidden)
            x = self._layer_norm(x + self._linear(ctx, f"{p}.attention.output.dense"), f"{p}.attention.output.LayerNorm")
            h = F.gelu(self._linear(x, f"{p}.intermediate.dense"))
            x = self._layer_norm(x + self._linear(h, f"{p}.output.dense"), f"{p}.output.LayerNorm")
        m = mask.unsqueeze(-1).float()
        pooled = (x * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return F.normalize(pooled, p=2, dim=1)

    def encode(self, texts: list[str]) -> np.ndarray:
        torch = self.torch
        out = []
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                enc = self.tokenizer.encode_batch(texts[start : start + self.batch_size])
                ids = torch.tensor([e.ids for e in enc])
                types = torch.tensor([e.type_ids for e in enc])
                mask = torch.tensor([e.attention_mask for e in enc])
                out.append(self._forward(ids, types, mask).numpy())
        return np.concatenate(out) if out else np.zeros((0, self.w["pooler.dense.weight"].shape[0]), np.float32)

    def get_text_embedding_batch(self, texts: list[str], **_) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def get_text_embedding(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()

    def get_query_embedding(self, query: str) -> list[float]:
        return self.encode([query])[0].tolist()
