"""The one settings object. Built once at the entry point (CLI, UI) and passed in.

Every field can be set from the environment with the `STUDY_` prefix, e.g.
`STUDY_TOP_K=8`, `STUDY_CHROMA_URL=http://127.0.0.1:8000`, or from a `.env` file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from assistant.core.modes import AnswerMode, Backend

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_GUIDE = PROJECT_ROOT / "data" / "genai_interview_questions.md"
DEFAULT_INDEX_DIR = PROJECT_ROOT / ".index"
DEFAULT_SCOPE_BANK = PROJECT_ROOT / "data" / "off_topic_questions.txt"
DEFAULT_PHRASINGS = PROJECT_ROOT / "data" / "guide_phrasings.md"
_PROFILE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STUDY_", env_file=".env", extra="ignore")

    guide_path: Path = Field(DEFAULT_GUIDE, description="The Markdown guide to ingest.")
    index_dir: Path = Field(DEFAULT_INDEX_DIR, description="Where the embedded Chroma index lives.")
    scope_bank: Path = Field(
        DEFAULT_SCOPE_BANK, description="Questions the guide does not answer, one per line: what refusals compare with."
    )
    phrasings: Path | None = Field(
        DEFAULT_PHRASINGS, description="How learners ask each of the guide's questions; empty = none."
    )
    collection: str = Field("guide", description="Chroma collection name.")
    chroma_url: str | None = Field(
        None, description="Chroma server URL (http://host:port); unset = embedded Chroma on disk."
    )
    embed_model: str = Field(
        "all-MiniLM-L6-v2",
        description="Embedding model: the bundled all-MiniLM-L6-v2 or a local sentence-transformers folder.",
    )
    top_k: int = Field(5, ge=1, le=100, description="How many questions retrieval returns.")
    llm_backend: Backend = Field(Backend.EMBEDDED, description="Answering backend.")
    answer_mode: AnswerMode = Field(
        AnswerMode.AUTO,
        description="Who writes answers: the guide's own lines (grounded), those plus one checked model sentence "
        "(hybrid), or the model with every sentence checked (generative); auto = grounded on the embedded "
        "model, generative on servers.",
    )
    llm_model: str | None = Field(None, description="Model name or GGUF path for the backend; unset = its default.")
    ollama_host: str = Field("http://127.0.0.1:11434", description="Ollama server for the ollama backend.")
    openai_base_url: str = Field("http://127.0.0.1:8080/v1", description="OpenAI-compatible server base URL.")
    openai_api_key: SecretStr = Field(
        SecretStr("not-needed"), description="API key for the OpenAI-compatible server (never put in a prompt)."
    )
    llm_context: int | None = Field(
        None, ge=512, description="Context window in tokens; unset = 2048 embedded, 4096 for servers."
    )
    llm_timeout: float = Field(120.0, gt=0, description="Seconds to wait for a server backend before giving up.")
    answer_tokens: int = Field(256, ge=16, le=4096, description="Most tokens an answer may take.")
    profile: str = Field("default", description="Learner profile: its study progress is one SQLite file.")
    progress_dir: Path | None = Field(None, description="Where progress files live; unset = 'progress/' beside the index.")
    desired_retention: float = Field(
        0.9, ge=0.7, le=0.99, description="Study mode: the share of reviews FSRS schedules you to still get right."
    )
    answer_sources: int = Field(3, ge=1, le=20, description="Most retrieved questions put into the prompt.")
    # The browser UI: what a visitor may choose, and who may visit. Hosts, URLs, keys and
    # model files stay here, on the server; the sidebar only picks among these names.
    ui_models: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Backends/models the browser may pick, comma-separated `backend[:model]` (e.g. "
        "embedded:gemma3-270m,ollama:llama3.2:3b); unset = the configured one and the bundled models.",
    )
    ui_password: SecretStr | None = Field(
        None, description="Password the browser UI asks for; required to serve beyond loopback."
    )
    ui_insecure_no_auth: bool = Field(
        False, description="Serve the UI beyond loopback without a password (only behind an authenticating proxy)."
    )

    @field_validator("phrasings", mode="before")
    @classmethod
    def _empty_is_none(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("ui_models", mode="before")
    @classmethod
    def _backend_list(cls, value):
        if isinstance(value, str):
            value = [entry.strip() for entry in value.split(",") if entry.strip()]
        for entry in value:
            if entry.split(":", 1)[0] not in {b.value for b in Backend}:
                names = ", ".join(b.value for b in Backend)
                raise ValueError(f"{entry!r} must start with one of {names} (backend[:model])")
        return value

    @field_validator("ui_password", mode="before")
    @classmethod
    def _empty_password_is_none(cls, value):
        return None if isinstance(value, str) and not value else value

    @property
    def vector_cache(self) -> Path:
        """Where embedded banks (off-topic questions, phrasings) are cached: beside the
        index on disk; in the user's cache with a Chroma server, which owns no local folder."""
        if not self.chroma_url:
            return self.index_dir
        import os

        xdg = Path(os.environ.get("XDG_CACHE_HOME", "").strip())
        base = xdg if xdg.is_absolute() else Path.home() / ".cache"  # relative: ignored, as XDG says
        return base / "study-assistant" / "vectors"

    @property
    def progress_path(self) -> Path:
        return progress_path(self.progress_dir or self.index_dir.parent / "progress", self.profile)

    @property
    def chats_path(self) -> Path:
        """The learner's saved conversations, beside their progress file."""
        path = self.progress_path
        return path.with_name(path.stem + ".chats.sqlite3")


def load_settings() -> Settings:
    """Settings from the environment; an invalid STUDY_ variable is a StudyError naming it."""
    from pydantic import ValidationError

    from assistant.core.errors import StudyError

    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "STUDY_" + str(first["loc"][0]).upper() if first.get("loc") else "a STUDY_ setting"
        raise StudyError(f"{name} is invalid ({first['msg']})", f"fix or unset {name}") from None


def progress_path(directory: Path, profile: str) -> Path:
    """The file for one learner profile.

    >>> progress_path(Path("progress"), "ana").name
    'ana.sqlite3'
    """
    from assistant.core.errors import StudyError

    if not _PROFILE.match(profile):
        raise StudyError(f"profile name {profile!r} is not usable", "use letters, digits, - and _ only")
    return Path(directory) / f"{profile}.sqlite3"
